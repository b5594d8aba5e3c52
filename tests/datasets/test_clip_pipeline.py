"""The shared clip pipeline description (dfertools/datasets/clip_pipeline.py):
its expansion, child configs that merge a dict, the dataset building it,
and that no shipped config restates a transform list."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from dfertools.datasets import dataset_pipeline, resolve_pipeline
from dfertools.registry import PIPELINES
from tests.fixtures.paths import REPO_ROOT as ROOT

DFEW = osp.join(ROOT, 'configs', '_base_', 'datasets', 'dfew.py')
META = ('video_id', 'view_id', 'img_shape')
TAIL = [dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs', meta_keys=META)]


def _clip(**kw):
    return dict(dict(type='DFERClipPipeline', clip_len=16, frame_interval=4,
                     input_size=160), **kw)


def test_expansion_train_and_test_written_out():
    # the DFEW recipe, written by hand as the transform lists it replaces
    head = [dict(type='VideoInit', backend='cv2')]
    train = resolve_pipeline(_clip(area_range=(0.6, 1.0)), False, 1)
    assert train == head + [
        dict(type='DFERSampleFrames', clip_len=16, frame_interval=4),
        dict(type='VideoDecode'),
        dict(type='Resize', scale=(-1, 160)),
        dict(type='RandomResizedCropFlip', size=160, area_range=(0.6, 1.0),
             flip_ratio=0.5)] + TAIL
    test = resolve_pipeline(_clip(), True, 2)
    assert test == head + [
        dict(type='DFERSampleFrames', clip_len=16, frame_interval=4,
             test_mode=True, num_views=2),
        dict(type='VideoDecode'),
        dict(type='Resize', scale=(-1, 160)),
        dict(type='CenterCrop', crop_size=160)] + TAIL


def test_spatial_views_split_the_dataset_views():
    test = resolve_pipeline(_clip(num_crops=2), True, 4)
    assert test[1] == dict(type='DFERSampleFrames', clip_len=16,
                           frame_interval=4, test_mode=True, num_views=2,
                           num_crops=2)
    assert test[4] == dict(type='SpatialViewCrop', crop_size=160,
                           num_crops=2)
    with pytest.raises(ValueError, match='multiple of num_crops=2'):
        resolve_pipeline(_clip(num_crops=2), True, 3)


def test_square_resize_frame_crop_load_and_jitter():
    cfg = _clip(input_size=32, resize='square', area_range=None,
                load=dict(decode_size=(64, 64)),
                frame_crop=dict(type='CenterCrop', crop_size=48),
                color_jitter=0.4)
    train = [t['type'] for t in resolve_pipeline(cfg, False, 1)]
    assert train == ['VideoInit', 'DFERSampleFrames', 'VideoDecode',
                     'CenterCrop', 'Resize', 'Flip', 'ColorJitter',
                     'FormatShape', 'PackActionInputs']
    test = resolve_pipeline(cfg, True, 1)
    # no centre crop after a square resize, no jitter at test time
    assert [t['type'] for t in test] == [
        'VideoInit', 'DFERSampleFrames', 'VideoDecode', 'CenterCrop',
        'Resize', 'FormatShape', 'PackActionInputs']
    assert test[0] == dict(type='VideoInit', backend='cv2',
                           decode_size=(64, 64))
    assert test[4]['scale'] == (32, 32)


def test_bad_descriptions_name_the_fix():
    with pytest.raises(ValueError, match="resize='long'"):
        resolve_pipeline(_clip(resize='long'))
    with pytest.raises(ValueError, match='needs a type'):
        resolve_pipeline(dict(clip_len=16))
    with pytest.raises(KeyError, match='DFERClipPipelin'):
        resolve_pipeline(dict(type='DFERClipPipelin', clip_len=16))


def test_a_list_passes_through():
    steps = [dict(type='VideoInit'), dict(type='VideoDecode')]
    assert resolve_pipeline(steps, True, 2) == steps
    assert resolve_pipeline(None) == []


def test_child_config_merges_one_number(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(
        f'_base_ = [{DFEW!r}]\n'
        'size = dict(pipeline=dict(input_size=224, clip_len=8))\n'
        'train_dataloader = dict(dataset=size)\n'
        'val_dataloader = dict(dataset=size)\n'
        'test_dataloader = val_dataloader\n')
    cfg = Config.fromfile(str(child))
    for key, mode in (('train_dataloader', 'RandomResizedCropFlip'),
                      ('val_dataloader', 'CenterCrop'),
                      ('test_dataloader', 'CenterCrop')):
        pipe = dataset_pipeline(cfg[key].dataset)
        assert pipe[1]['clip_len'] == 8 and pipe[1]['frame_interval'] == 4
        crop = [t for t in pipe if t['type'] == mode][0]
        assert crop.get('size', crop.get('crop_size')) == 224
        assert pipe[3] == dict(type='Resize', scale=(-1, 224))


def test_dataset_expands_for_its_mode(tmp_path):
    from mmengine.registry import DefaultScope

    from dfertools.datasets import DFERDataset
    from dfertools.datasets.synthetic_writer import generate
    root = str(tmp_path / 'synth')
    generate(root, seed=0, num_labeled=5, num_unlabeled=0, size=64,
             frames=(8, 10), workers=1, progress=False)
    clip = _clip(clip_len=4, frame_interval=2, input_size=48)
    kw = dict(ann_file='annotations/train_{fold}.txt', data_root=root,
              fold=1, dataset_name='synth_dfer', pipeline=clip)
    with DefaultScope.overwrite_default_scope('dfertools'):
        train = DFERDataset(**kw)
        test = DFERDataset(**kw, test_mode=True, num_views=2)
    assert tuple(train[0]['inputs'].shape) == (1, 3, 4, 48, 48)
    views = [test[i]['data_samples'].view_id for i in range(2)]
    assert views == [0, 1]
    assert tuple(test[1]['inputs'].shape) == (1, 3, 4, 48, 48)


def test_third_party_pipeline_builder():
    calls = []

    def two_steps(test_mode, num_views, note):
        calls.append((test_mode, num_views, note))
        return [dict(type='VideoInit'), dict(type='VideoDecode')]

    PIPELINES.register_module(name='ToyTwoSteps', module=two_steps,
                              force=True)
    try:
        out = resolve_pipeline(dict(type='ToyTwoSteps', note='x'), True, 3)
    finally:
        PIPELINES._module_dict.pop('ToyTwoSteps')
    assert [t['type'] for t in out] == ['VideoInit', 'VideoDecode']
    assert calls == [(True, 3, 'x')]


SHIPPED = sorted(glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                           recursive=True))


@pytest.mark.parametrize('path', SHIPPED,
                         ids=[osp.relpath(p, ROOT) for p in SHIPPED])
def test_shipped_configs_do_not_restate_pipelines(path):
    text = open(path, encoding='utf-8').read()
    # every shipped config describes its clips with DFERClipPipeline
    assert 'DFERSampleFrames' not in text, (
        f'{path} lists transforms; merge a dict into the dataset config\'s '
        'DFERClipPipeline instead')
    assert '_delete_' not in text
