"""Every demo config builds and trains one step on a clip of its input
size, and tools/demo.sh knows each method (the full runs are minutes
long: docs/demo.md)."""
import glob
import os.path as osp
import re
import subprocess

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import dfertools  # noqa: F401
import dfertools.models  # noqa: F401
from dfertools.registry import MODELS
from tests.fixtures.cli import ROOT

DEMOS = sorted(glob.glob(osp.join(ROOT, 'configs', 'demo', '*.py')))


@pytest.mark.parametrize('path', DEMOS, ids=osp.basename)
def test_demo_config_takes_a_step(path):
    cfg = Config.fromfile(path)
    with DefaultScope.overwrite_default_scope('dfertools'):
        model = MODELS.build(cfg.model)
    bb = cfg.model.get('backbone', {})
    size = bb.get('img_size', 32)
    frames = bb.get('num_frames', 8)
    torch.manual_seed(0)
    inputs = [torch.randint(0, 255, (1, 3, frames, size, size),
                            dtype=torch.uint8) for _ in range(2)]
    from mmaction.structures import ActionDataSample
    samples = [ActionDataSample().set_gt_label(k) for k in (0, 3)]
    data = model.data_preprocessor(dict(inputs=inputs,
                                        data_samples=samples), True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()


def test_pretraining_demos_share_data_decoder_and_schedule():
    """The side-by-side table compares the masked-pretraining methods with
    one decoder, data pipeline and schedule (docs/demo.md)."""
    def cfg(name):
        return Config.fromfile(osp.join(ROOT, 'configs', 'demo', name))
    ref = cfg('vit-t_synth-pretrain.py')
    for name in ('vit-t_synth-pretrain_videomae.py',
                 'lgi-t_synth-pretrain_mae-dfer.py'):
        other = cfg(name)
        assert other.model.decoder == ref.model.decoder, name
        for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                    'param_scheduler'):
            assert other[key] == ref[key], (name, key)


def test_supervised_demos_train_on_the_fine_tuning_label_fraction():
    """tools/demo.sh gives --method adatosk|hdf the fine-tuning config's
    label_fraction (one protocol for the side-by-side table)."""
    text = open(osp.join(ROOT, 'tools', 'demo.sh')).read()
    passed = re.findall(r'train_dataloader\.dataset\.label_fraction=([\d.]+)',
                        text)
    ft = Config.fromfile(osp.join(ROOT, 'configs', 'demo',
                                  'vit-t_synth-dfer_finetune.py'))
    assert [float(v) for v in passed] == [
        ft.train_dataloader.dataset.label_fraction]


def test_demo_script_refuses_unknown_method():
    proc = subprocess.run(['bash', 'tools/demo.sh', '--method', 'nope'],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert 'hi2m, videomae' in proc.stderr


def test_demo_script_names_a_config_for_every_method():
    text = open(osp.join(ROOT, 'tools', 'demo.sh')).read()
    for rel in set(re.findall(r'configs/demo/[\w.-]+\.py', text)):
        assert osp.isfile(osp.join(ROOT, rel)), rel
