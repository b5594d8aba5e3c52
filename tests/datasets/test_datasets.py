"""Annotation parsing, the DFER datasets and a dataset+pipeline run."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from dfertools.datasets import DFERDataset, UnlabeledVideoDataset
from dfertools.datasets.annotations import (AnnotationError, detect_format,
                                            parse_annotation)
from dfertools.datasets.classes import DFEW_CLASSES, MAFW_CLASSES
from dfertools.datasets.synthetic_writer import generate


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize('text, fmt, expected', [
    ('a/1 3\n\n# comment\nb/2 0\n', 'path_label',
     [('a/1', 3, None), ('b/2', 0, None)]),
    ('a/1.mp4 40 6\nb/2.mp4 12 1\n', 'path_frames_label',
     [('a/1.mp4', 6, 40), ('b/2.mp4', 1, 12)]),
    ('video_name,label\n1,1\n12345,7\n', 'dfew_csv',
     [('00001', 0, None), ('12345', 6, None)]),
    ('Action/Angry/0001 Angry\nDaily/Happy/0002 Happy\n', 'ferv39k',
     [('Action/Angry/0001', 3, None), ('Daily/Happy/0002', 0, None)]),
    ('id1/v1.mp4\nid2/v2.mp4\n', 'unlabeled',
     [('id1/v1.mp4', None, None), ('id2/v2.mp4', None, None)]),
])
def test_formats_parse_and_autodetect(tmp_path, text, fmt, expected):
    ann = _write(tmp_path, 'ann.txt', text)
    assert detect_format(ann) == fmt
    for name in (fmt, 'auto'):
        recs = parse_annotation(ann, name, DFEW_CLASSES)
        assert [(r.path, r.label, r.num_frames) for r in recs] == expected


def test_unlabeled_with_zero_and_mafw_names(tmp_path):
    ann = _write(tmp_path, 'u.txt', 'a.mp4 0\nb.mp4\n')
    assert [r.path for r in parse_annotation(ann, 'unlabeled')] == \
        ['a.mp4', 'b.mp4']
    mafw = _write(tmp_path, 'm.txt', '00025.mp4 anger\n00026.mp4 disappointment\n')
    assert [r.label for r in parse_annotation(mafw, 'auto', MAFW_CLASSES)] \
        == [0, 10]


@pytest.mark.parametrize('text, fmt, bad_line', [
    ('a 1\nb x\n', 'path_label', 2),
    ('a 1\nb\n', 'path_label', 2),
    ('a 10 1\n\nb ten 1\n', 'path_frames_label', 3),
    ('video_name,label\n1,8\n', 'dfew_csv', 2),
    ('name,lab\n1,1\n', 'dfew_csv', 1),
    ('x/Happy/1 Happy\nx/Bored/2 Bored\n', 'ferv39k', 2),
    ('a\nb c d\n', 'unlabeled', 2),
])
def test_malformed_line_names_file_line_and_format(tmp_path, text, fmt,
                                                   bad_line):
    ann = _write(tmp_path, 'bad.txt', text)
    with pytest.raises(AnnotationError) as info:
        parse_annotation(ann, fmt, DFEW_CLASSES)
    msg = str(info.value)
    assert f'{ann}:{bad_line}:' in msg and fmt in msg


def test_label_out_of_range_names_line(tmp_path):
    ann = _write(tmp_path, 'ann.txt', 'a 1\nb 7\n')
    with pytest.raises(ValueError, match=r'ann.txt:2:.*out of range'):
        parse_annotation(ann, 'auto', DFEW_CLASSES)


def test_undetectable_format(tmp_path):
    ann = _write(tmp_path, 'ann.txt', 'a b c d\n')
    with pytest.raises(AnnotationError, match='ann.txt:1: cannot detect'):
        detect_format(ann)


def test_missing_annotation_and_root(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.txt.*data_preparation'):
        DFERDataset(str(tmp_path / 'nope.txt'))
    with pytest.raises(FileNotFoundError, match='no_root.*data_preparation'):
        DFERDataset('ann.txt', data_root=str(tmp_path / 'no_root'))


def test_fold_views_prefix_and_metainfo(tmp_path):
    (tmp_path / 'ann').mkdir()
    _write(tmp_path, 'ann/test_2.txt', 'v/a.mp4 20 1\nv/b.mp4 30 5\n')
    ds = DFERDataset('ann/test_{fold}.txt', data_root=str(tmp_path),
                     data_prefix=dict(video='clips'), fold=2, num_views=2,
                     test_mode=True, dataset_name='dfew', check_paths=0)
    assert ds.metainfo['classes'] == DFEW_CLASSES
    assert len(ds) == 4
    infos = [ds.get_data_info(i) for i in range(4)]
    assert [(i['video_id'], i['view_id'], i['label']) for i in infos] == [
        ('v/a.mp4', 0, 1), ('v/a.mp4', 1, 1), ('v/b.mp4', 0, 5),
        ('v/b.mp4', 1, 5)]
    assert infos[0]['filename'] == osp.join(str(tmp_path), 'clips', 'v/a.mp4')
    with pytest.raises(ValueError, match='fold'):
        DFERDataset('ann/test_{fold}.txt', data_root=str(tmp_path))


def test_mafw_classes_and_unlabeled(tmp_path):
    ann = _write(tmp_path, 'a.txt', 'a 10\n')
    assert DFERDataset(ann, dataset_name='mafw',
                       check_paths=0).metainfo['classes'] == MAFW_CLASSES
    ds = UnlabeledVideoDataset(_write(tmp_path, 'u.txt', 'a 0\nb 0\n'),
                               check_paths=0)
    assert 'label' not in ds.get_data_info(0) and len(ds) == 2


def _pipeline(test_mode, num_views=2):
    return [
        dict(type='VideoInit'),
        dict(type='DFERSampleFrames', clip_len=8, frame_interval=2,
             test_mode=test_mode, num_views=num_views),
        dict(type='VideoDecode'),
        dict(type='Resize', scale=(-1, 36)),
        dict(type='RandomResizedCrop') if not test_mode else
        dict(type='CenterCrop', crop_size=32),
        dict(type='Resize', scale=(32, 32), keep_ratio=False),
        dict(type='Flip', flip_ratio=0.5) if not test_mode else
        dict(type='Resize', scale=(32, 32), keep_ratio=False),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs',
             meta_keys=('video_id', 'view_id', 'img_shape')),
    ]


@pytest.fixture(scope='module')
def synth_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth')
    generate(str(root), seed=3, num_labeled=10, num_unlabeled=3, size=32,
             frames=(8, 12), workers=1, progress=False)
    return str(root)


@pytest.mark.parametrize('test_mode', [False, True])
def test_end_to_end_on_generated_mp4(synth_root, test_mode):
    from mmengine.registry import init_default_scope
    init_default_scope('dfertools')
    ds = DFERDataset('annotations/all.txt', data_root=synth_root,
                     data_prefix=dict(video=''), num_views=2,
                     pipeline=_pipeline(test_mode), test_mode=test_mode)
    assert len(ds) == 20
    batch = pseudo_collate([ds[i] for i in range(4)])
    for inputs, sample in zip(batch['inputs'], batch['data_samples']):
        assert inputs.dtype == torch.uint8
        assert tuple(inputs.shape) == (1, 3, 8, 32, 32)
        assert sample.video_id.startswith('videos/')
        assert sample.view_id in (0, 1)
        assert 0 <= int(sample.gt_label) < 7
    assert [s.view_id for s in batch['data_samples']] == [0, 1, 0, 1]


def test_dfew_csv_copy_resolves_videos(synth_root):
    ds = DFERDataset('annotations/dfew_csv/test/set_{fold}.csv', fold=1,
                     data_root=synth_root, data_prefix=dict(video='videos'),
                     pipeline=_pipeline(True, 1), test_mode=True)
    txt = parse_annotation(osp.join(synth_root, 'annotations/test_1.txt'))
    assert len(ds) == len(txt)
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (1, 3, 8, 32, 32)
    assert sample['data_samples'].video_id == osp.basename(txt[0].path)[:5]


def test_corrupt_video_is_substituted_in_training(synth_root, tmp_path):
    from mmengine.registry import init_default_scope
    init_default_scope('dfertools')
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video')
    ann = _write(tmp_path, 'ann.txt',
                 f'{bad} 0\n{osp.join(synth_root, "videos/00001.mp4")} 1\n')
    ds = DFERDataset(ann, pipeline=_pipeline(False))
    first = ds[0]
    assert ds.num_failures == 1
    assert int(first['data_samples'].gt_label) == 1   # the substitute
    ds[0]
    assert ds.num_failures == 2
    test_ds = DFERDataset(ann, pipeline=_pipeline(True, 1), test_mode=True)
    with pytest.raises(RuntimeError, match='bad.mp4'):
        test_ds[0]


@pytest.mark.parametrize('name', ['dfew', 'ferv39k', 'mafw', 'voxceleb2',
                                  'synth_dfer', 'synth_dfer_pretrain'])
def test_dataset_configs_define_loaders(name):
    from mmengine.config import Config
    from dfertools.datasets import dataset_pipeline
    cfg = Config.fromfile(f'configs/_base_/datasets/{name}.py')
    assert isinstance(cfg.train_dataloader.dataset.data_root, str)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'val_evaluator', 'test_evaluator'):
        assert key in cfg
    train = cfg.train_dataloader
    assert train.sampler == dict(type='DefaultSampler', shuffle=True)
    assert train.persistent_workers and train.num_workers > 0
    train_pipe = dataset_pipeline(train.dataset)
    pipe = [t['type'] for t in train_pipe]
    assert pipe[:3] == ['VideoInit', 'DFERSampleFrames', 'VideoDecode']
    if name == 'voxceleb2':
        assert pipe[3] == 'VoxCeleb2Crop'
    if cfg.val_dataloader is not None:
        assert cfg.val_evaluator == dict(type='DFERMetric')
        assert cfg.test_dataloader.dataset.num_views == 2
        sampler = dataset_pipeline(cfg.test_dataloader.dataset)[1]
        assert sampler['num_views'] == 2 and sampler['test_mode']
    stride = dict(ferv39k=1, synth_dfer=1, synth_dfer_pretrain=1).get(name, 4)
    assert train_pipe[1]['frame_interval'] == stride
    assert train_pipe[1]['clip_len'] == 16


def test_synth_config_builds_and_switches_fold(synth_root):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from dfertools.registry import DATASETS
    init_default_scope('dfertools')
    cfg = Config.fromfile('configs/_base_/datasets/synth_dfer.py')
    cfg.merge_from_dict({'test_dataloader.dataset.fold': 3,
                         'test_dataloader.dataset.data_root': synth_root})
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    assert ds.ann_file.endswith('annotations/test_3.txt')
    n = len(parse_annotation(osp.join(synth_root, 'annotations/test_3.txt')))
    assert len(ds) == 2 * n
    if n:
        sample = ds[1]
        assert tuple(sample['inputs'].shape) == (1, 3, 16, 112, 112)
        assert sample['inputs'].dtype == torch.uint8
        assert sample['data_samples'].view_id == 1
    pre = Config.fromfile('configs/_base_/datasets/synth_dfer_pretrain.py')
    pre.train_dataloader.dataset.data_root = synth_root
    unl = DATASETS.build(pre.train_dataloader.dataset)
    out = unl[0]
    assert tuple(out['inputs'].shape) == (1, 3, 16, 112, 112)
    assert 'gt_label' not in out['data_samples']
