"""Spatial test views (``num_crops``): which window and crop each view
takes, and the mae_dfer DFEW config's 2 temporal x 2 spatial protocol from
dataset to DFERMetric, whose video score is the mean of all four views."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import dfertools  # noqa: F401
from dfertools.evaluation import DFERMetric
from dfertools.evaluation.predictions import merge_views
from dfertools.registry import DATASETS


def _pipeline(num_crops, crop=100):
    init_default_scope('dfertools')
    return Compose([
        dict(type='DFERSampleFrames', clip_len=2, frame_interval=1,
             test_mode=True, num_views=2, num_crops=num_crops),
        dict(type='SpatialViewCrop', crop_size=crop, num_crops=num_crops)])


def _results(h, w, view_id, frames=8):
    imgs = [np.full((h, w, 3), i, np.uint8) for i in range(frames)]
    return dict(imgs=imgs, total_frames=frames, view_id=view_id)


@pytest.mark.parametrize('h, w, expected', [
    (120, 200, [(10, 0), (10, 100)]),     # wide: along x, centred in y
    (200, 120, [(0, 10), (100, 10)]),     # tall: along y, centred in x
    (100, 100, [(0, 0), (0, 0)]),         # square: the crops coincide
])
def test_two_by_two_views(h, w, expected):
    pipe = _pipeline(2)
    seen = []
    for view_id in range(4):
        out = pipe(_results(h, w, view_id))
        x1, y1, x2, y2 = out['crop_bbox']
        assert (x2 - x1, y2 - y1) == (100, 100)
        assert out['imgs'][0].shape == (100, 100, 3)
        assert out['img_shape'] == (100, 100)
        seen.append((int(out['frame_inds'][0]), (y1, x1)))
    # view v: temporal window v // 2 (start 0 or the last start 6), crop v % 2
    assert seen == [(0, expected[0]), (0, expected[1]),
                    (6, expected[0]), (6, expected[1])]


def test_view_out_of_range_and_small_frames():
    with pytest.raises(ValueError, match='2 x 2'):
        _pipeline(2)(_results(120, 200, 4))
    with pytest.raises(ValueError, match='smaller than crop_size'):
        _pipeline(2, crop=150)(_results(120, 200, 0))
    one = _pipeline(1)(_results(120, 200, 1))    # 1 crop: the centre
    assert one['crop_bbox'] == (50, 10, 150, 110)
    assert int(one['frame_inds'][0]) == 6


def _release(root, n=3):
    """A DFEW-style release of non-square (160x240) frame folders and its
    converted list."""
    os.makedirs(osp.join(root, 'annotations'))
    lines = []
    rng = np.random.default_rng(0)
    for v in range(n):
        folder = osp.join(root, 'Clip', 'clip_224x224', f'{v + 1:05d}')
        os.makedirs(folder)
        for i in range(1, 71):
            cv2.imwrite(osp.join(folder, f'{i:05d}.jpg'),
                        rng.integers(0, 256, (160, 240, 3)).astype(np.uint8))
        lines.append(f'Clip/clip_224x224/{v + 1:05d} 70 {v}\n')
    with open(osp.join(root, 'annotations', 'test_1.txt'), 'w') as f:
        f.writelines(lines)


def _score(inputs):
    """A stand-in model: class probabilities from the clip's pixels."""
    x = inputs.float()
    logits = torch.stack([x[..., :, :40].mean(), x[..., :, -40:].mean(),
                          x[:, :, :8].mean(), x[:, :, 8:].mean(),
                          x.std(), x[..., :80, :].mean(),
                          x[..., 80:, :].mean()]) / 5
    return logits.softmax(0)


def test_mae_dfer_dfew_config_averages_four_views(tmp_path):
    root = str(tmp_path / 'dfew')
    _release(root)
    init_default_scope('dfertools')
    cfg = Config.fromfile('configs/mae_dfer/lgi-b_dfew-fold1.py')
    cfg.merge_from_dict({'test_dataloader.dataset.data_root': root})
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(ds) == 3 * 4
    metric = DFERMetric()
    metric.dataset_meta = ds.metainfo
    expected, means = [], []
    for v in range(3):
        views = [ds[4 * v + k] for k in range(4)]
        assert [s['data_samples'].view_id for s in views] == [0, 1, 2, 3]
        inputs = [s['inputs'] for s in views]
        assert all(tuple(i.shape) == (1, 3, 16, 160, 160) for i in inputs)
        # four different views: two windows x two crops
        assert len({i.float().sum().item() for i in inputs}) == 4
        probs = [_score(i) for i in inputs]
        means.append(torch.stack(probs).mean(0).numpy())
        expected.append(int(means[-1].argmax()))
        samples = []
        for s, p in zip(views, probs):
            d = s['data_samples']
            samples.append(dict(pred_score=p, gt_label=d.gt_label,
                                video_id=d.video_id, view_id=d.view_id))
        metric.process({}, samples)
    _, merged, _ = merge_views(metric.results)
    np.testing.assert_allclose(merged, np.stack(means), rtol=1e-5)
    out = metric.compute_metrics(metric.results)
    assert out['num_videos'] == 3 and out['num_views'] == 12
    assert out['WAR'] == pytest.approx(
        np.mean([e == v for v, e in enumerate(expected)]))
    confusion = np.asarray(out['confusion_matrix'])
    for v, e in enumerate(expected):
        assert confusion[v, e] == 1
