"""Layer-wise learning-rate decay (VideoMAE / MAE-DFER fine-tuning).

A parameter at depth ``layer_id`` of ``max_layer_id`` (asked from
``model.backbone.get_layer_depth(name, 'backbone.')``; anything outside the
backbone, i.e. the head, is at ``max_layer_id``) gets
``lr = base_lr * decay_rate ** (max_layer_id - layer_id)``: the patch
embedding ``decay ** (L + 1)``, block ``i`` ``decay ** (L - i)``, the final
norm, representative tokens and head 1.0. Norms, biases and other 1-D
parameters, position / representative / mask tokens and ``q_bias`` /
``v_bias`` get no weight decay.

Config::

    optim_wrapper = dict(
        type='OptimWrapper',
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05,
                       betas=(0.9, 0.999)),
        constructor='LayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(layer_decay_rate=0.75))
"""
from typing import List

import torch
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from dfertools.registry import OPTIM_WRAPPER_CONSTRUCTORS

NO_DECAY_NAMES = ('pos_embed', 'lg_region_tokens', 'cls_token', 'mask_token',
                  'q_bias', 'v_bias')


def no_weight_decay(name: str, param: torch.Tensor,
                    extra: tuple = ()) -> bool:
    leaf = name.split('.')[-1]
    return (param.ndim <= 1 or name.endswith('.bias')
            or leaf in NO_DECAY_NAMES + tuple(extra))


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``paramwise_cfg``: ``layer_decay_rate`` (default 0.75),
    ``backbone`` (attribute name, default 'backbone'), ``no_decay_names``
    (extra leaf names without weight decay)."""

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None):
        paramwise_cfg = dict(paramwise_cfg or {})
        self.layer_decay_rate = float(
            paramwise_cfg.pop('layer_decay_rate', 0.75))
        self.backbone_name = paramwise_cfg.pop('backbone', 'backbone')
        self.extra_no_decay = tuple(paramwise_cfg.pop('no_decay_names', ()))
        if paramwise_cfg:
            raise ValueError(
                'LayerDecayOptimWrapperConstructor: unsupported paramwise_cfg '
                f'keys {sorted(paramwise_cfg)}; use layer_decay_rate, '
                'backbone, no_decay_names.')
        super().__init__(optim_wrapper_cfg, None)
        # non-empty, so DefaultOptimWrapperConstructor calls add_params
        self.paramwise_cfg = dict(layer_decay_rate=self.layer_decay_rate)

    def add_params(self, params: List[dict], module: torch.nn.Module,
                   **kwargs) -> None:
        model = getattr(module, 'module', module)  # DDP wrapper
        backbone = getattr(model, self.backbone_name, None)
        if backbone is None or not hasattr(backbone, 'get_layer_depth'):
            raise TypeError(
                'LayerDecayOptimWrapperConstructor: model.'
                f'{self.backbone_name} ({type(backbone).__name__}) has no '
                'get_layer_depth(name, prefix); use a dfertools token '
                'backbone or the DefaultOptimWrapperConstructor.')
        prefix = self.backbone_name + '.'
        base_wd = self.base_wd or 0.
        groups = {}
        for name, p in model.named_parameters():
            if not p.requires_grad:
                continue
            if name.startswith(prefix):
                layer_id, max_id = backbone.get_layer_depth(name, prefix)
            else:
                max_id = backbone.num_layers + 1
                layer_id = max_id
            scale = self.layer_decay_rate**(max_id - layer_id)
            decay = not no_weight_decay(name, p, self.extra_no_decay)
            key = (layer_id, decay)
            if key not in groups:
                groups[key] = dict(
                    params=[], names=[], lr=self.base_lr * scale,
                    lr_scale=scale, layer_id=layer_id,
                    weight_decay=base_wd if decay else 0.)
            groups[key]['params'].append(p)
            groups[key]['names'].append(name)
        for key in sorted(groups):
            params.append(groups[key])
        print_log(
            f'layer-wise lr decay {self.layer_decay_rate}: '
            f'{len(groups)} parameter groups', logger='current')
