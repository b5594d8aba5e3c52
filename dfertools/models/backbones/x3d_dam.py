"""X3D with a DAM block after each of its stages (HDF §4, Fig. 2).

Built on MMAction2's ``X3D`` (``mmaction.models.backbones.x3d``): stem
(``conv1_s``, ``conv1_t``), stages ``layer1..layer4`` with widths
``base_channels * 2**i`` (base 24 scaled by ``gamma_w``), repeats
``[1, 2, 5, 3]`` scaled by ``gamma_d``, then ``conv5``. X3D-S/M use
``gamma_w=1, gamma_b=2.25, gamma_d=2.2`` (feature width 432); they differ only
in input size. X3D keeps T (no temporal stride), so DAM sees every frame.

``checkpoint`` loads a local X3D checkpoint (an MMAction2 recognizer's
``state_dict`` with the ``backbone.`` prefix, or a bare backbone state dict)
with ``weights_only=True``; the DAM weights are expected to be missing and the
missing/unexpected keys are logged and kept in ``self.checkpoint_report``.
"""
import os.path as osp
from typing import Optional, Sequence

import torch
from mmaction.models.backbones.x3d import X3D
from mmengine.logging import MMLogger
from torch import nn

from dfertools.registry import MODELS
from dfertools.utils.checkpoint import safe_load

from .dam import DAM


def _backbone_state(ckpt: dict, path: str) -> dict:
    state = ckpt
    for key in ('state_dict', 'model'):
        if isinstance(state, dict) and key in state and isinstance(
                state[key], dict):
            state = state[key]
    if not isinstance(state, dict):
        raise ValueError(f'{path}: no state dict found in the checkpoint; '
                         'expected a dict of tensors or {"state_dict": ...}.')
    prefix = 'backbone.'
    if any(k.startswith(prefix) for k in state):
        state = {k[len(prefix):]: v for k, v in state.items()
                 if k.startswith(prefix)}
    return state


@MODELS.register_module()
class X3DWithDAM(X3D):
    """MMAction2 X3D with DAM after stages 1-4 (HDF).

    Paper: HDF, "Learning from Heterogeneity: Generalizing Dynamic Facial
    Expression Recognition via Distributionally Robust Optimization", §4,
    Fig. 2 (docs/papers.md).

    Args:
        dam_cfg (dict | None): kwargs of :class:`DAM` (without ``channels``);
            ``None`` gives plain X3D (HDF Table 3 "no DAM").
        dam_stages (Sequence[bool]): which stages get a DAM.
        checkpoint (str, optional): local X3D checkpoint loaded in
            ``init_weights``.
        **kwargs: X3D arguments (``gamma_w``, ``gamma_b``, ``gamma_d``, ...).
            ``pretrained`` is not accepted: use ``checkpoint``.
    """

    def __init__(self,
                 dam_cfg: Optional[dict] = dict(),
                 dam_stages: Sequence[bool] = (True, True, True, True),
                 checkpoint: Optional[str] = None,
                 **kwargs) -> None:
        if kwargs.get('pretrained') is not None:
            raise ValueError(
                'X3DWithDAM: use checkpoint=<local path> instead of '
                'pretrained= (it loads with weights_only=True).')
        super().__init__(**kwargs)
        if len(dam_stages) < self.num_stages:
            raise ValueError(f'dam_stages needs {self.num_stages} entries, '
                             f'got {len(dam_stages)}')
        self.checkpoint = checkpoint
        self.checkpoint_report = None
        self.dams = nn.ModuleList()
        for i in range(self.num_stages):
            if dam_cfg is not None and dam_stages[i]:
                self.dams.append(
                    DAM(channels=self.base_channels * 2**i, **dam_cfg))
            else:
                self.dams.append(nn.Identity())

    def init_weights(self) -> None:
        super().init_weights()
        if self.checkpoint is not None:
            self.load_x3d_checkpoint(self.checkpoint)

    def load_x3d_checkpoint(self, path: str) -> dict:
        """Load X3D weights (weights_only); returns missing/unexpected."""
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'X3DWithDAM checkpoint {path!r} does not exist; set '
                'model.backbone.checkpoint to a local X3D .pth file or None.')
        ckpt = safe_load(path, map_location='cpu')  # weights_only=True
        state = _backbone_state(ckpt, path)
        result = self.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys if not k.startswith('dams.')]
        report = dict(missing_keys=list(result.missing_keys),
                      missing_non_dam_keys=missing,
                      unexpected_keys=list(result.unexpected_keys))
        logger = MMLogger.get_current_instance()
        logger.info(
            f'X3DWithDAM: loaded {path}: {len(state)} tensors, '
            f'{len(result.missing_keys)} missing ({len(missing)} outside '
            f'DAM), {len(result.unexpected_keys)} unexpected')
        if missing or result.unexpected_keys:
            logger.warning(f'X3DWithDAM: missing outside DAM: {missing}; '
                           f'unexpected: {list(result.unexpected_keys)}')
        self.checkpoint_report = report
        return report

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1_s(x)
        x = self.conv1_t(x)
        for layer_name, dam in zip(self.res_layers, self.dams):
            x = dam(getattr(self, layer_name)(x))
        return self.conv5(x)
