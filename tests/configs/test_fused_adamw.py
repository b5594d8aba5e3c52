"""Fused AdamW, the default of our AdamW schedules (docs/design.md,
'Performance principles'): the config
builds through MMEngine and, fed the same gradients, updates the parameters
like torch's default (for-loop) AdamW within fp32 rounding.

The gradients are injected rather than recomputed: Adam normalises each
gradient by its running RMS, so on a tiny model whose gradients are near
``eps`` a rounding-level difference in the weights would be amplified by
the next backward pass and the comparison would test the model's
conditioning, not the optimizer."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from dfertools.models.backbones.video_vit import VideoViT
from tests.fixtures.paths import REPO_ROOT as ROOT

SCHEDULES = sorted(glob.glob(osp.join(ROOT, 'configs/_base_/schedules/'
                                      '*_adamw_*.py')))


def tiny_vit():
    """A tiny VideoViT as ``.backbone`` (what the layer-decay constructor
    expects of a recognizer)."""
    torch.manual_seed(0)
    model = torch.nn.Module()
    model.backbone = VideoViT(
        arch=dict(embed_dims=48, num_layers=2, num_heads=3), img_size=32,
        num_frames=4)
    return model


def run_steps(model, optim_cfg, steps=4):
    from mmengine.registry import init_default_scope
    init_default_scope('dfertools')
    wrapper = build_optim_wrapper(model, copy.deepcopy(optim_cfg))
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        for p in model.parameters():
            p.grad = 1e-2 * torch.randn(p.shape, generator=g)
        wrapper.step()
        wrapper.zero_grad()
    return wrapper


@pytest.mark.parametrize('path', SCHEDULES, ids=osp.basename)
def test_schedule_uses_fused_adamw_equal_to_default(path):
    cfg = Config.fromfile(path).optim_wrapper
    assert cfg.optimizer.type == 'AdamW' and cfg.optimizer.fused is True
    plain = copy.deepcopy(cfg)
    plain.optimizer.pop('fused')
    a, b = tiny_vit(), tiny_vit()
    wa = run_steps(a, cfg)
    run_steps(b, plain)
    assert wa.optimizer.defaults['fused'] is True
    moved = 0
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb, rtol=1e-5, atol=1e-6, msg=name)
        moved += int(not torch.equal(pa, tiny_vit().state_dict()[name]))
    assert moved > 0  # the steps did change the weights
