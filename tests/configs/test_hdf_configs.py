"""HDF configs load, build and carry the paper's settings (hdf §5.1.3)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import dfertools  # noqa: F401
from dfertools.datasets import dataset_pipeline
from dfertools.registry import MODELS, TRANSFORMS
from tests.fixtures.paths import REPO_ROOT as ROOT

HDF = sorted(glob.glob(osp.join(ROOT, 'configs', 'hdf', '*.py')))
DEMO = osp.join(ROOT, 'configs', 'demo', 'x3d-s_synth-dfer_hdf.py')


def _load(path):
    return Config.fromfile(path)


@pytest.mark.parametrize('path', HDF + [DEMO], ids=osp.basename)
def test_config_builds(path):
    cfg = _load(path)
    assert cfg.default_scope == 'dfertools'
    with DefaultScope.overwrite_default_scope('dfertools'):
        model = MODELS.build(cfg.model)
        for t in dataset_pipeline(cfg.train_dataloader.dataset):
            TRANSFORMS.build(t)
        for t in dataset_pipeline(cfg.test_dataloader.dataset):
            TRANSFORMS.build(t)
    assert type(model).__name__ == 'HDFRecognizer'
    assert cfg.model.cls_head.average_clips == 'prob'
    assert cfg.test_evaluator.type == 'DFERMetric'
    if path == DEMO:  # the SynthDFER demo drops colour jitter (docs/hdf.md)
        return
    jitter = [t for t in dataset_pipeline(cfg.train_dataloader.dataset)
              if t['type'] == 'ColorJitter']
    assert jitter and jitter[0]['brightness'] == 0.4


def test_paper_recipe():
    cfg = _load(osp.join(ROOT, 'configs', 'hdf', 'x3d-s_dfew-fold1.py'))
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.weight_decay) == ('AdamW', 5e-4, 0.05)
    warm, cos = cfg.param_scheduler
    assert warm.type == 'LinearLR' and warm.end == 20
    assert cos.type == 'CosineAnnealingLR' and cos.eta_min == 5e-6
    assert (cos.begin, cos.end) == (20, 100)
    assert cfg.train_cfg.max_epochs == 100
    pipe = dataset_pipeline(cfg.train_dataloader.dataset)
    assert pipe[1]['clip_len'] == 16
    crop = [t for t in pipe if t['type'] == 'RandomResizedCropFlip']
    assert crop and crop[0]['size'] == 160   # 160x160 training clips
    bb = cfg.model.backbone
    assert (bb.gamma_w, bb.gamma_b, bb.gamma_d) == (1.0, 2.25, 2.2)
    loss = cfg.model.contrastive_loss
    assert (loss.temperature, loss.eta, loss.beta) == (0.07, 0.2, 0.1)
    scaler = cfg.model.loss_scaler
    assert (scaler.alpha, scaler.beta) == (10.0, 0.1)
    # the wrapper measures g for the scaler; DDP is MMEngine's stock wrapper
    assert cfg.optim_wrapper.type == 'GradNormOptimWrapper'
    assert 'model_wrapper_cfg' not in cfg


@pytest.mark.parametrize('name,dam,dsm', [
    ('x3d-s_dfew-fold1_baseline.py', False, False),
    ('x3d-s_dfew-fold1_no-dam.py', False, True),
    ('x3d-s_dfew-fold1_no-dsm.py', True, False),
    ('x3d-s_dfew-fold1.py', True, True),
])
def test_table3_ablations(name, dam, dsm):
    cfg = _load(osp.join(ROOT, 'configs', 'hdf', name))
    assert (cfg.model.backbone.dam_cfg is not None) == dam
    assert (cfg.model.contrastive_loss is not None) == dsm
    assert (cfg.model.loss_scaler is not None) == dsm
