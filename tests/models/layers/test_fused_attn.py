"""One global attention switch, honoured by every registered model that
attends (the spirit of timm's ``use_fused_attn`` and its test over every
registered model).

For each such model, built tiny: with the switch on, the output goes
through ``F.scaled_dot_product_attention``; with it off, that function is
never called; and both give the same output to float rounding. A newly
registered class whose source uses attention must be added to ``TINY``
(the discovery test fails otherwise), so no block can silently ignore the
switch.
"""
import inspect
import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import dfertools.models  # noqa: F401  (registers everything)
from dfertools.models.layers.fused_attn import (fused_attn, set_fused_attn,
                                                use_fused_attn)
from dfertools.registry import MASKERS, MODELS

GRID = (2, 2, 2)


def _tokens(d=24):
    return torch.randn(2, 8, d)


def _decoder_inputs():
    idx = torch.arange(8).expand(2, 8)
    return (torch.randn(2, 3, 24), idx[:, :3], idx[:, 3:], GRID)


TINY = {  # registered name -> (registry, kwargs, inputs, run)
    'VideoViT': (MODELS, dict(
        arch=dict(embed_dims=24, num_layers=1, num_heads=2), img_size=16,
        num_frames=4, patch_size=8), lambda: (torch.randn(2, 3, 4, 16, 16),),
        lambda m, *x: m(*x)),
    'LGIFormer': (MODELS, dict(
        arch=dict(embed_dims=24, num_layers=1, num_heads=2), img_size=32,
        num_frames=8, region_size=(2, 1, 2)),
        lambda: (torch.randn(2, 3, 8, 32, 32),), lambda m, *x: m(*x)),
    'MAEDecoder': (MODELS, dict(
        in_dims=24, embed_dims=16, num_layers=1, num_heads=2,
        out_channels=12, default_grid=GRID), _decoder_inputs,
        lambda m, *x: m(*x)),
    'HRDMasker': (MASKERS, dict(mask_ratio=0.5, embed_dims=24, num_heads=2),
                  lambda: (_tokens(),), lambda m, x: m.log_probs(x)),
    'DAM': (MODELS, dict(channels=4), lambda: (torch.randn(2, 4, 4, 8, 8),),
            lambda m, *x: m(*x)),
    'X3DWithDAM': (MODELS, dict(gamma_w=0.5, gamma_b=1.0, gamma_d=1.0,
                                se_ratio=None),
                   lambda: (torch.randn(1, 3, 4, 32, 32),),
                   lambda m, *x: m(*x)),
}

ATTENDS = ('attention_core', 'Attention(', 'TransformerBlock(', 'LGIBlock(',
           'DAM(')


def _own_classes(registry):
    for name, cls in registry.module_dict.items():
        if cls.__module__.startswith('dfertools.'):
            yield name, cls


def test_every_registered_model_that_attends_is_covered():
    attending = set()
    for registry in (MODELS, MASKERS):
        for name, cls in _own_classes(registry):
            src = open(inspect.getsourcefile(cls), encoding='utf-8').read()
            if any(key in src for key in ATTENDS):
                attending.add(name)
    # the layers themselves are not registered; algorithms build their
    # attending parts from the registry, so they are covered through them
    assert {'VideoViT', 'LGIFormer', 'MAEDecoder', 'HRDMasker'} <= attending
    missing = attending - set(TINY)
    assert not missing, (f'{sorted(missing)} attend but have no tiny entry '
                         'in tests/models/layers/test_fused_attn.py::TINY')


@pytest.mark.parametrize('name', sorted(TINY))
def test_switch_is_honoured_and_paths_agree(name, monkeypatch):
    registry, kwargs, inputs, run = TINY[name]
    torch.manual_seed(0)
    model = registry.build(dict(type=name, **kwargs))
    model.eval()  # mmaction's X3D.train() returns None, so not chained
    x = inputs()
    calls = []
    sdpa = F.scaled_dot_product_attention

    def counting(*a, **k):
        calls.append(1)
        return sdpa(*a, **k)

    monkeypatch.setattr(F, 'scaled_dot_product_attention', counting)
    with torch.no_grad():
        with fused_attn(True):
            fused = run(model, *x)
        n_fused = len(calls)
        with fused_attn(False):
            explicit = run(model, *x)
    assert n_fused > 0, f'{name} never reached scaled_dot_product_attention'
    assert len(calls) == n_fused, f'{name} ignored the switch (fused path ' \
        'called with fused attention off)'
    torch.testing.assert_close(fused, explicit, rtol=1e-5, atol=1e-5)


def test_context_restores_and_setter_is_global():
    assert use_fused_attn()
    with fused_attn(False):
        assert not use_fused_attn()
        with fused_attn(True):
            assert use_fused_attn()
        assert not use_fused_attn()
    assert use_fused_attn()
    with pytest.raises(RuntimeError):
        with fused_attn(False):
            raise RuntimeError('inside')
    assert use_fused_attn()
    set_fused_attn(False)
    try:
        assert not use_fused_attn()
    finally:
        set_fused_attn(True)


@pytest.mark.parametrize('value,expected', [('0', 'False'), ('off', 'False'),
                                            ('1', 'True')])
def test_environment_variable(value, expected):
    code = ('from dfertools.models.layers.fused_attn import use_fused_attn;'
            'print(use_fused_attn())')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, env=dict(os.environ,
                                             DFERTOOLS_FUSED_ATTN=value))
    assert out.stdout.strip() == expected, out.stderr


def test_bad_environment_value_is_named():
    code = 'import dfertools.models.layers.fused_attn'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, env=dict(os.environ,
                                             DFERTOOLS_FUSED_ATTN='maybe'))
    assert out.returncode != 0
    assert "DFERTOOLS_FUSED_ATTN='maybe'" in out.stderr
