"""RepeatAugment (repeated sampling for pretraining): R clips from one
decode share the source frames, differ in augmentation, equal an
independent crop/resize/flip of the source, and reach the pretrainer as
B x R clips."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from dfertools.datasets.sample_rng import sample_rng_scope
from dfertools.datasets.transforms import RepeatAugment
from dfertools.registry import TRANSFORMS

T, H, W, S = 4, 32, 40, 16
AUG = [dict(type='RandomResizedCrop', area_range=(0.2, 0.6)),
       dict(type='Resize', scale=(S, S), keep_ratio=False),
       dict(type='Flip', flip_ratio=0.5)]
# the same augmentation in one step, drawing from the sample's generator
FUSED = [dict(type='RandomResizedCropFlip', size=S, area_range=(0.2, 0.6),
              flip_ratio=0.5)]


def decoded(seed=0):
    rng = np.random.default_rng(seed)
    frames = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
              for _ in range(T)]
    return dict(filename='clip.mp4', frame_inds=np.arange(T), imgs=frames,
                img_shape=(H, W), original_shape=(H, W), num_clips=1,
                clip_len=T, modality='RGB'), [f.copy() for f in frames]


def expected_clip(frames, params):
    x1, y1, x2, y2 = [int(v) for v in params['crop_bbox']]
    out = [cv2.resize(f[y1:y2, x1:x2], (S, S),
                      interpolation=cv2.INTER_LINEAR) for f in frames]
    return [np.ascontiguousarray(o[:, ::-1]) if params['flip'] else o
            for o in out]


@pytest.mark.parametrize('aug', [AUG, FUSED], ids=['mmaction', 'fused'])
def test_repeats_share_the_decode_and_differ_in_augmentation(aug):
    np.random.seed(3)
    results, source = decoded()
    with sample_rng_scope([3]):
        out = RepeatAugment(aug, num_repeats=3)(results)
    assert out['num_clips'] == 3 and len(out['imgs']) == 3 * T
    assert out['filename'] == 'clip.mp4'
    np.testing.assert_array_equal(out['frame_inds'], np.arange(T))
    params = out['repeat_params']
    assert len(params) == 3
    boxes = {tuple(int(v) for v in p['crop_bbox']) for p in params}
    assert len(boxes) == 3  # independent random crops
    for r, p in enumerate(params):  # each repeat = its own crop+resize+flip
        got = out['imgs'][r * T:(r + 1) * T]
        for g, e in zip(got, expected_clip(source, p)):
            np.testing.assert_array_equal(g, e)
    for f, s in zip(results['imgs'], source):  # source frames untouched
        np.testing.assert_array_equal(f, s)


def test_format_collate_and_pretrainer_see_b_times_r_clips():
    from mmaction.models import ActionDataPreprocessor

    from dfertools.models.algorithms.masked_pretrainer import \
        MaskedVideoPretrainer
    pipe = [RepeatAugment(AUG, num_repeats=2),
            TRANSFORMS.build(dict(type='FormatShape', input_format='NCTHW')),
            TRANSFORMS.build(dict(type='PackActionInputs'))]
    samples = []
    for seed in (0, 1):
        r = decoded(seed)[0]
        for t in pipe:
            r = t(r)
        samples.append(r)
    assert samples[0]['inputs'].shape == (2, 3, T, S, S)
    assert samples[0]['inputs'].dtype == torch.uint8
    pre = ActionDataPreprocessor(mean=[0.] * 3, std=[1.] * 3,
                                 format_shape='NCTHW')
    batch = pre(pseudo_collate(samples), training=True)['inputs']
    assert batch.shape == (2, 2, 3, T, S, S)
    clips = MaskedVideoPretrainer._clips(batch)
    assert clips.shape == (4, 3, T, S, S)
    assert not torch.equal(clips[0], clips[1])  # two views of video 0


def test_bad_arguments():
    with pytest.raises(ValueError, match='num_repeats'):
        RepeatAugment(AUG, num_repeats=0)
    with pytest.raises(KeyError, match='VideoDecode'):
        RepeatAugment(AUG)(dict(filename='x.mp4'))
    np.random.seed(0)
    crop_only = [dict(type='RandomResizedCrop', area_range=(0.2, 0.9))]
    with pytest.raises(ValueError, match='Resize'):
        RepeatAugment(crop_only, num_repeats=4)(decoded()[0])
