"""FLOPs counting (multiply-adds, SDPA included) and the model configs."""
import json
import os
import os.path as osp
import shutil

import pytest
import torch
from mmengine.config import Config

from dfertools.models.layers.fused_attn import fused_attn
from dfertools.models.backbones import LGIFormer, VideoViT
from dfertools.registry import OPTIM_WRAPPER_CONSTRUCTORS
from dfertools.benchmark.flops import (build_model_from_config, count_flops,
                                   model_complexity)
from tests.fixtures.cli import load_tool
from tests.fixtures.paths import REPO_ROOT as ROOT

torch.set_num_threads(1)


def test_sdpa_is_counted():
    q = torch.randn(2, 3, 10, 8)
    k = torch.randn(2, 3, 7, 8)
    flops, _ = count_flops(torch.nn.functional.scaled_dot_product_attention,
                           q, k, k)
    assert flops == 2 * 2 * 3 * 10 * 7 * (8 + 8)


def analytic_vit_macs(d, depth, n, patch_in=3 * 2 * 16 * 16, classes=0):
    per_block = n * (3 * d * d + d * d + 8 * d * d) + 2 * n * n * d
    return n * patch_in * d + depth * per_block + d * classes


@pytest.mark.parametrize('fused', [True, False])
def test_vit_macs_match_analytic_count(fused):
    m = VideoViT(dict(embed_dims=48, num_layers=2, num_heads=3),
                 img_size=32, num_frames=4)
    with fused_attn(fused):
        res = model_complexity(m, (4, 32, 32), device='cpu')
    assert res['macs'] == analytic_vit_macs(48, 2, 8)
    assert res['flops'] == 2 * res['macs']


def test_lgi_macs_match_analytic_count():
    d, n, m_reg = 48, 16, 4   # grid 4x2x2, regions 2x1x2 -> 4 of 4 tokens
    m = LGIFormer(dict(embed_dims=d, num_layers=1, num_heads=3),
                  img_size=32, num_frames=8, region_size=(2, 1, 2))
    res = model_complexity(m, (8, 32, 32), device='cpu')
    s = n // m_reg + 1
    intra = m_reg * (s * 4 * d * d + 2 * s * s * d)
    inter = m_reg * 4 * d * d + 2 * m_reg * m_reg * d
    cross = n * 2 * d * d + m_reg * 2 * d * d + 2 * n * m_reg * d
    ffn = (n + m_reg) * 8 * d * d
    embed = n * 3 * 2 * 16 * 16 * d
    assert res['macs'] == embed + intra + inter + cross + ffn


@pytest.mark.parametrize('cfg,params,gmacs', [
    ('configs/_base_/models/vit-b_dfer.py', 86.2, 80.8),
    ('configs/_base_/models/lgi-b_dfer.py', 84.9, 49.8),
])
def test_paper_numbers_from_configs(cfg, params, gmacs):
    """mae_dfer Table 3 (ViT-B, LGI-Former-B) at 16x160x160, within 2%."""
    res = model_complexity(build_model_from_config(osp.join(ROOT, cfg)))
    assert res['params'] / 1e6 == pytest.approx(params, rel=0.02)
    assert res['macs'] / 1e9 == pytest.approx(gmacs, rel=0.02)


@pytest.mark.parametrize('arch,params,gmacs', [('small', 47.9, 28.4),
                                               ('tiny', 21.5, 13.0)])
def test_lgi_sizes_table9(arch, params, gmacs):
    with torch.device('meta'):
        m = LGIFormer(arch)
    res = model_complexity(m)
    assert res['params'] / 1e6 == pytest.approx(params, rel=0.02)
    assert res['macs'] / 1e9 == pytest.approx(gmacs, rel=0.02)


def test_get_flops_cli(capsys):
    tool = load_tool('tools/analysis/get_flops.py')
    assert tool.main([osp.join(ROOT, 'configs/_base_/models/vit-b_dfer.py'),
                      '--shape', '4', '32', '32', '--json']) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out['backbone'] == 'VideoViT'
    n = 2 * 2 * 2
    assert out['macs'] == analytic_vit_macs(768, 12, n, classes=7)


STUB_DATASET = """
train_dataloader = dict(batch_size=2, dataset=dict(type='Stub'))
val_dataloader = dict(batch_size=2, dataset=dict(type='Stub'))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
"""


@pytest.mark.parametrize('cfg,num_classes', [
    ('videomae/vit-b_dfew-fold1.py', 7), ('videomae/vit-b_ferv39k.py', 7),
    ('videomae/vit-b_mafw-fold1.py', 11),
    ('videomae/vit-b_dfew-fold1_linear-probe.py', 7),
    ('mae_dfer/lgi-b_dfew-fold1.py', 7), ('mae_dfer/lgi-b_ferv39k.py', 7),
    ('mae_dfer/lgi-b_mafw-fold1.py', 11),
    ('mae_dfer/lgi-b_dfew-fold1_linear-probe.py', 7),
    ('demo/vit-t_synth-dfer_finetune.py', 7),
])
def test_finetune_configs_build(tmp_path, cfg, num_classes):
    """Model, optimizer and schedule parts; dataset configs the data branch
    has not delivered yet are replaced by stubs."""
    root = tmp_path / 'configs'
    shutil.copytree(osp.join(ROOT, 'configs'), root)
    os.makedirs(root / '_base_' / 'datasets', exist_ok=True)
    for name in ('dfew', 'ferv39k', 'mafw', 'synth_dfer'):
        path = root / '_base_' / 'datasets' / f'{name}.py'
        if not path.exists():
            path.write_text(STUB_DATASET)
    c = Config.fromfile(str(root / cfg))
    model = build_model_from_config(c)
    assert model.cls_head.num_classes == num_classes
    blending = c.model.data_preprocessor.get('blending')
    linear = 'linear-probe' in cfg
    if linear:
        assert blending is None and model.backbone.frozen
    elif cfg.startswith('demo/'):
        # the demo's 15-epoch budget is too short for mixup/cutmix to pay
        assert blending is None
    else:
        assert [a.num_classes for a in blending.augments] == [num_classes] * 2
        assert [a.alpha for a in blending.augments] == [0.8, 1.0]
    assert c.model.cls_head.label_smooth_eps == 0.1
    assert c.model.cls_head.average_clips == 'prob'
    if 'demo' not in cfg:
        assert c.auto_scale_lr == dict(enable=True, base_batch_size=256)
        assert c.train_cfg.max_epochs == 100
        assert c.load_from == c.pretrained
        assert c.model.backbone.drop_path_rate == (0. if linear else 0.1)
        assert [s.type for s in c.param_scheduler] == ['LinearLR',
                                                       'CosineAnnealingLR']
    if cfg.startswith('demo/'):
        # the demo fine-tunes a 2-block ViT with one lr (no layer decay)
        assert 'constructor' not in c.optim_wrapper
        return
    ctor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type=c.optim_wrapper.constructor,
        optim_wrapper_cfg=dict(type='OptimWrapper',
                               optimizer=c.optim_wrapper.optimizer),
        paramwise_cfg=c.optim_wrapper.paramwise_cfg))
    opt = ctor(model).optimizer
    scales = sorted({round(g['lr_scale'], 8) for g in opt.param_groups})
    if linear:
        assert scales == [1.0]
    else:
        L = model.backbone.num_layers
        assert scales[0] == pytest.approx(0.75**(L + 1))
        assert scales[-1] == 1.0
