"""AdaTosk configs: every config builds with the intended soft-mask switches;
the SynthDFER demo trains, validates with DFERMetric and tests (slow)."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from dfertools.benchmark.flops import build_model_from_config

from tests.fixtures.cli import ROOT, run_tool

CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'adatosk', '*.py')))
DEMO = osp.join(ROOT, 'configs', 'demo', 'vit-t_synth-dfer_adatosk.py')

# config suffix -> (class-agnostic on, class-semantic scores or None)
EXPECTED = {
    '': (True, 'A+M'), '_no-soft-mask': None, '_ca': (True, None),
    '_cs': (False, 'A+M'), '_cs-m': (False, 'M'), '_cs-a': (False, 'A'),
    '_ca_cs-m': (True, 'M'), '_ca_cs-a': (True, 'A'), '_l2': (True, 'A+M'),
    '_cosine': (True, 'A+M'),
}


def test_every_table3_row_has_a_config():
    names = {osp.basename(c) for c in CONFIGS}
    for suffix in EXPECTED:
        assert f'vit-b_dfew-fold1{suffix}.py' in names
    assert {'vit-b_ferv39k.py', 'vit-b_mafw-fold1.py'} <= names


@pytest.mark.parametrize('path', CONFIGS + [DEMO],
                         ids=lambda p: osp.basename(p))
def test_config_builds(path):
    cfg = Config.fromfile(path)
    model = build_model_from_config(cfg)  # meta device: no memory
    assert type(model).__name__ == 'SupervisedMAE'
    assert model.masker.mask_ratio == pytest.approx(0.7)
    assert model.eval_masker.mask_ratio == pytest.approx(0.7)
    name = osp.basename(path)[:-3]
    demo = name == osp.basename(DEMO)[:-3]
    # the demo raises lambda_cls for a short from-scratch run (its header)
    assert (model.lambda_rec, model.lambda_cls) == (1.0, 1.0 if demo else 0.1)
    if name.startswith('vit-b_dfew-fold1'):
        expected = EXPECTED[name[len('vit-b_dfew-fold1'):]]
        soft = model.cls_head.soft_mask
        if expected is None:
            assert soft is None
        else:
            ca, cs = expected
            assert (soft.class_agnostic is not None) == ca
            if ca:
                assert soft.class_agnostic.top_k == 4
                dist = name.rsplit('_', 1)[-1]
                assert soft.class_agnostic.distance == (
                    dist if dist in ('l2', 'cosine') else 'l1')
            if cs is None:
                assert soft.class_semantic is None
            else:
                assert soft.class_semantic.scores == cs
                assert soft.class_semantic.top_r == 2
    if 'mafw' in name:
        assert model.cls_head.num_classes == 11
    if not demo:
        opt = cfg.optim_wrapper.optimizer
        assert (opt.lr, tuple(opt.betas)) == (1.5e-4, (0.9, 0.95))
        assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=256)
        assert cfg.train_cfg.max_epochs == 100
        assert cfg.param_scheduler[0].end == 10


@pytest.mark.slow
def test_demo_trains_validates_and_tests(tmp_path):
    from dfertools.datasets.synthetic_writer import generate
    data = tmp_path / 'synth'
    generate(str(data), seed=0, num_labeled=15, num_unlabeled=0,
             frames=(16, 20), workers=1, progress=False)
    work = tmp_path / 'work'
    roots = [f'{s}_dataloader.dataset.data_root={data}'
             for s in ('train', 'val', 'test')]
    small = ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=4',
             'val_dataloader.batch_size=4',
             'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
             'test_dataloader.num_workers=0',
             'train_dataloader.persistent_workers=False',
             'val_dataloader.persistent_workers=False',
             'test_dataloader.persistent_workers=False']
    res = run_tool('train.py', DEMO, '--work-dir', str(work), '--seed', '0',
                   '--cfg-options', *roots, *small, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    log = res.stdout + res.stderr
    assert 'loss_cls' in log and 'loss_rec' in log and 'dfer/UAR' in log
    ckpt = work / 'epoch_1.pth'
    assert ckpt.exists()
    dump = tmp_path / 'preds.json'
    res = run_tool('test.py', DEMO, str(ckpt), '--work-dir', str(work),
                   '--dump', str(dump), '--cfg-options', *roots, *small,
                   timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'dfer/WAR' in res.stdout + res.stderr
    assert dump.exists() and dump.stat().st_size > 0
