"""From a miniature official release to a training sample: for every
dataset the layout as published, the tools/data converter with its default
arguments, the SHIPPED dataset config with only ``data_root`` overridden,
and one sample through its real train and test pipelines. Also the early
check that the listed videos are where data_root/data_prefix say."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from dfertools.datasets import dataset_pipeline
from dfertools.datasets.annotations import parse_annotation
from dfertools.registry import DATASETS
from dfertools.datasets.synthetic_writer import generate
from tests.fixtures.cli import data_tool
from tests.fixtures.data_toys import write_video


def _frame_folder(folder, n, size=224):
    """Official-style frame folder ``00001.jpg ...`` of ``size`` squares."""
    os.makedirs(folder)
    for i in range(1, n + 1):
        cv2.imwrite(osp.join(folder, f'{i:05d}.jpg'),
                    np.full((size, size, 3), 9 * i % 256, np.uint8))


def _dfew(root):
    """DFEW: Clip/clip_224x224/NNNNN/ frame folders and the 5-fold csvs
    (header video_name,label; labels 1-7; unpadded numeric names)."""
    clips = {1: 1, 28: 4, 305: 7}      # clip number -> official label
    for num in clips:
        _frame_folder(osp.join(root, 'Clip', 'clip_224x224', f'{num:05d}'),
                      6)
    for k in range(1, 6):
        for split in ('train', 'test'):
            d = osp.join(root, 'EmoLabel_DataSplit',
                         f'{split}(single-labeled)')
            os.makedirs(d, exist_ok=True)
            order = sorted(clips) if split == 'train' else sorted(clips)[::-1]
            with open(osp.join(d, f'set_{k}.csv'), 'w', newline='') as f:
                f.write('video_name,label\r\n')
                f.writelines(f'{n},{clips[n]}\r\n' for n in order)
    return dict(args=[], train='annotations/train_1.txt',
                first=('Clip/clip_224x224/00001', 0), frames=6)


def _ferv39k(root):
    """FERV39k: 2_ClipsforFaceCrop/Scene/Emotion/clip/ frame folders and
    4_setups/All_scenes/{train,test}_All.txt ('Scene/Emotion/clip Emotion')."""
    clips = [('Action/Angry/0001', 'Angry'), ('Daily/Happy/0012', 'Happy'),
             ('Crime/Fear/0107', 'Fear')]
    for rel, _ in clips:
        _frame_folder(osp.join(root, '2_ClipsforFaceCrop', rel), 5)
    d = osp.join(root, '4_setups', 'All_scenes')
    os.makedirs(d)
    for split in ('train', 'test'):
        with open(osp.join(d, f'{split}_All.txt'), 'w') as f:
            f.writelines(f'{rel} {name}\n' for rel, name in clips)
    return dict(args=[], train='annotations/train.txt',
                first=('2_ClipsforFaceCrop/Action/Angry/0001', 3), frames=5)


def _mafw(root):
    """MAFW: data/clips/NNNNN.mp4 and the single-label splits
    'Train & Test Set/single/no_caption/set_k/{train,test}.txt'."""
    clips = [('00025.mp4', 'anger'), ('00026.mp4', 'helplessness'),
             ('00310.mp4', 'happiness')]
    os.makedirs(osp.join(root, 'data', 'clips'))
    for i, (name, _) in enumerate(clips):
        write_video(osp.join(root, 'data', 'clips', name), frames=7,
                    size=(64, 48), seed=i)
    for k in range(1, 6):
        d = osp.join(root, 'Train & Test Set', 'single', 'no_caption',
                     f'set_{k}')
        os.makedirs(d)
        for split in ('train', 'test'):
            with open(osp.join(d, f'{split}.txt'), 'w') as f:
                f.writelines(f'{name} {cls}\n' for name, cls in clips)
    return dict(args=[], train='annotations/train_1.txt',
                first=('data/clips/00025.mp4', 0), frames=7)


def _voxceleb2(root):
    """VoxCeleb2: dev/mp4/idNNNNN/<youtube id>/NNNNN.mp4 face tracks
    (224x224)."""
    for i, rel in enumerate(['id00012/21Uxsk56VDQ/00001.mp4',
                             'id00012/21Uxsk56VDQ/00002.mp4',
                             'id00015/0fijmz4vTVU/00001.mp4']):
        path = osp.join(root, 'dev', 'mp4', rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        write_video(path, frames=6, size=(224, 224), seed=i)
    return dict(args=[], train='annotations/vox2_dev.txt',
                first=('dev/mp4/id00012/21Uxsk56VDQ/00001.mp4', None),
                frames=None)


RELEASES = dict(dfew=_dfew, ferv39k=_ferv39k, mafw=_mafw,
                voxceleb2=_voxceleb2)


def _build(cfg_file, root, loader, **extra):
    init_default_scope('dfertools')
    cfg = Config.fromfile(cfg_file)
    cfg.merge_from_dict({f'{loader}.dataset.data_root': root})
    return DATASETS.build(dict(cfg[loader].dataset, **extra)), cfg


def _check_sample(sample, size, label):
    assert tuple(sample['inputs'].shape) == (1, 3, 16, size, size)
    if label is None:
        assert 'gt_label' not in sample['data_samples']
    else:
        assert int(sample['data_samples'].gt_label) == label


@pytest.mark.parametrize('name', sorted(RELEASES))
def test_official_release_to_training_sample(tmp_path, name):
    root = str(tmp_path / name)
    expect = RELEASES[name](root)
    data_tool(name).main(['--root', root] + expect['args'])
    recs = parse_annotation(osp.join(root, expect['train']))
    path, label = expect['first']
    assert recs[0].path == path
    if expect['frames']:
        assert recs[0].num_frames == expect['frames']
    cfg_file = f'configs/_base_/datasets/{name}.py'
    train, cfg = _build(cfg_file, root, 'train_dataloader')
    assert train.ann_file == osp.join(root, expect['train'])
    assert len(train) == 3
    _check_sample(train[0], 160, label)
    if cfg.test_dataloader is not None:
        test, _ = _build(cfg_file, root, 'test_dataloader')
        assert len(test) == 3 * 2          # two temporal views per video
        views = [test[i] for i in (0, 1)]
        for view_id, sample in enumerate(views):
            _check_sample(sample, 160, None if label is None else
                          test.get_data_info(0)['label'])
            assert sample['data_samples'].view_id == view_id


@pytest.mark.parametrize('name', ['synth_dfer', 'synth_dfer_demo'])
def test_synthetic_release_to_training_sample(tmp_path, name):
    root = str(tmp_path / name)
    generate(root, seed=1, num_labeled=7, num_unlabeled=2, size=64,
             frames=(8, 10), workers=1, progress=False)
    train, cfg = _build(f'configs/_base_/datasets/{name}.py', root,
                        'train_dataloader')
    sample = train[0]
    pipe = dataset_pipeline(cfg.train_dataloader.dataset)
    crop = pipe[-3]
    assert crop['type'] == 'RandomResizedCropFlip'
    assert tuple(sample['inputs'].shape) == (
        1, 3, pipe[1]['clip_len'], crop['size'], crop['size'])
    assert int(sample['data_samples'].gt_label) == \
        train.get_data_info(0)['label']


def _old_dfew_list(root):
    """A list written the old way: paths relative to Clip/clip_224x224."""
    os.makedirs(osp.join(root, 'annotations'))
    with open(osp.join(root, 'annotations', 'train_1.txt'), 'w') as f:
        f.write('00028 6 3\n00001 6 0\n00305 6 6\n')


def test_wrong_prefix_raises_once_at_build_naming_the_fix(tmp_path):
    root = str(tmp_path / 'dfew')
    _dfew(root)
    _old_dfew_list(root)
    with pytest.raises(FileNotFoundError) as info:
        _build('configs/_base_/datasets/dfew.py', root, 'train_dataloader')
    msg = str(info.value)
    assert f"data_root={root!r}" in msg
    assert "data_prefix=dict(video='')" in msg
    assert "set data_prefix=dict(video='Clip/clip_224x224')" in msg
    assert osp.join(root, '00028') in msg and 'data_preparation.md' in msg
    # the suggested prefix does find the videos
    train, _ = _build('configs/_base_/datasets/dfew.py', root,
                      'train_dataloader',
                      data_prefix=dict(video='Clip/clip_224x224'))
    _check_sample(train[0], 160, 3)


def test_wrong_data_root_without_suggestion(tmp_path):
    root = str(tmp_path / 'dfew')
    _dfew(root)
    data_tool('dfew').main(['--root', root])
    elsewhere = tmp_path / 'elsewhere'
    (elsewhere / 'annotations').mkdir(parents=True)
    for f in ('train_1.txt', 'test_1.txt'):
        (elsewhere / 'annotations' / f).write_text(
            open(osp.join(root, 'annotations', f)).read())
    with pytest.raises(FileNotFoundError, match=r'None of the first 3 videos'
                       r'.*data_root=.*elsewhere') as info:
        _build('configs/_base_/datasets/dfew.py', str(elsewhere),
               'test_dataloader')
    assert 'exists under' not in str(info.value)


def test_one_missing_video_is_left_to_bad_sample_handling(tmp_path):
    root = str(tmp_path / 'dfew')
    _dfew(root)
    data_tool('dfew').main(['--root', root])
    import shutil
    shutil.rmtree(osp.join(root, 'Clip', 'clip_224x224', '00001'))
    train, _ = _build('configs/_base_/datasets/dfew.py', root,
                      'train_dataloader')
    assert len(train) == 3
    test, _ = _build('configs/_base_/datasets/dfew.py', root,
                     'test_dataloader', check_paths=1)  # 00305 comes first
    assert len(test) == 6
    with pytest.raises(FileNotFoundError, match='None of the first 1 videos'):
        _build('configs/_base_/datasets/dfew.py', root, 'train_dataloader',
               check_paths=1)
