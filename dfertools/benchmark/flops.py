"""Parameters and FLOPs (as multiply-adds, the papers' convention).

``torch.utils.flop_counter.FlopCounterMode`` counts matmuls and convolutions
(2 FLOPs per multiply-add) but has no formula for the CPU attention kernel
``aten._scaled_dot_product_flash_attention_for_cpu`` (it reports 0 for
``F.scaled_dot_product_attention`` on CPU), so we register one: QK^T and AV,
``2 * B * heads * Lq * Lk * (d + d_v)`` FLOPs. MACs = FLOPs / 2. Norms,
softmax and activations are not counted (negligible; the papers' fvcore
counts agree within 1%). Works on the meta device, so full-size models are
counted without allocating memory.
"""
from typing import Sequence, Tuple

import torch
from torch.utils.flop_counter import FlopCounterMode


def _sdpa_flops(query_shape, key_shape, value_shape, *args, out_shape=None,
                **kwargs) -> int:
    b, h, lq, d = query_shape
    lk, dv = key_shape[-2], value_shape[-1]
    return 2 * b * h * lq * lk * (d + dv)


def _custom_mapping() -> dict:
    ops = {}
    for name in ('_scaled_dot_product_flash_attention_for_cpu',
                 '_scaled_dot_product_attention_math'):
        op = getattr(torch.ops.aten, name, None)
        if op is not None:
            ops[op] = _sdpa_flops
    return ops


def count_flops(fn, *args, **kwargs) -> Tuple[int, object]:
    """Run ``fn(*args, **kwargs)`` under the counter; ``(flops, output)``."""
    with FlopCounterMode(display=False,
                         custom_mapping=_custom_mapping()) as counter:
        out = fn(*args, **kwargs)
    return counter.get_total_flops(), out


def count_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def model_forward(model: torch.nn.Module, x: torch.Tensor):
    """Backbone (+ ``cls_head``) of a recognizer, or the module itself."""
    backbone = getattr(model, 'backbone', None)
    if backbone is None:
        return model(x)
    feats = backbone(x)
    head = getattr(model, 'cls_head', None)
    return head(feats) if head is not None else feats


def model_complexity(model: torch.nn.Module,
                     shape: Sequence[int] = (16, 160, 160),
                     in_channels: int = 3,
                     device: str = 'meta') -> dict:
    """``dict(params, macs, flops)`` for one ``1 x C x T x H x W`` clip."""
    model = model.to(device).eval()
    x = torch.zeros(1, in_channels, *shape, device=device)
    with torch.no_grad():
        flops, _ = count_flops(model_forward, model, x)
    return dict(params=count_params(model), macs=flops // 2, flops=flops)


def build_model_from_config(cfg, device: str = 'meta') -> torch.nn.Module:
    """Build ``cfg.model`` (a full or a model-only config) on ``device``."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from dfertools.registry import MODELS
    if isinstance(cfg, str):
        cfg = Config.fromfile(cfg)
    if 'model' not in cfg:
        raise KeyError(f'{getattr(cfg, "filename", cfg)}: the config has no '
                       '`model`; pass a full config or a model-only config '
                       '(configs/_base_/models/*.py).')
    init_default_scope(cfg.get('default_scope', 'dfertools'))
    model_cfg = dict(cfg.model)
    model_cfg.pop('data_preprocessor', None)
    with torch.device(device):
        return MODELS.build(model_cfg)
