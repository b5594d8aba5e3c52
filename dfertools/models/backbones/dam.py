"""Time-Frequency Distributional Attention Module, DAM (HDF §4.1, eq. 6-12).

A shape-preserving block on [B, C, T, H, W]: a frequency branch
(:class:`FrequencyAttention`, eq. 6-8) and a temporal branch
(:class:`TemporalAttention`, eq. 9-10), fused adaptively (eq. 11-12):
``lambda_t = sigmoid(W_t GAP(x_t) + b_t)``, ``lambda_s = sigmoid(W_s GAP(x_s)
+ b_s)``, normalised per sample so that ``lambda_t + lambda_s = 1``
(docs/design.md, 'DAM'), and ``x_fused = lambda_t x_t + lambda_s x_s``. Either
branch can
be switched off (paper Table 4); with one branch the block returns it.
"""
from typing import Optional

import torch
from torch import nn

from dfertools.registry import MODELS

from .dam_frequency import FrequencyAttention
from .dam_temporal import TemporalAttention


@MODELS.register_module()
class DAM(nn.Module):
    """DAM block (HDF eq. 6-12).

    Paper: HDF, "Learning from Heterogeneity: Generalizing Dynamic Facial
    Expression Recognition via Distributionally Robust Optimization", eq. 6-12
    (docs/papers.md).

    Args:
        channels (int): C of the input.
        use_frequency (bool): enable the frequency branch (eq. 6-8).
        use_temporal (bool): enable the temporal branch (eq. 9-10).
        frequency_cfg (dict, optional): kwargs of FrequencyAttention.
        temporal_cfg (dict, optional): kwargs of TemporalAttention.
    """

    def __init__(self,
                 channels: int,
                 use_frequency: bool = True,
                 use_temporal: bool = True,
                 frequency_cfg: Optional[dict] = None,
                 temporal_cfg: Optional[dict] = None) -> None:
        super().__init__()
        if not (use_frequency or use_temporal):
            raise ValueError(
                'DAM needs at least one branch: set use_frequency or '
                'use_temporal to True (or drop the DAM, e.g. '
                'X3DWithDAM(dam_cfg=None)).')
        self.channels = channels
        self.frequency = (FrequencyAttention(channels, **(frequency_cfg or {}))
                          if use_frequency else None)
        self.temporal = (TemporalAttention(channels, **(temporal_cfg or {}))
                         if use_temporal else None)
        if use_frequency and use_temporal:
            self.gate_t = nn.Linear(channels, 1)   # eq. 11 W_t, b_t
            self.gate_s = nn.Linear(channels, 1)   # eq. 11 W_s, b_s

    def fusion_weights(self, x_t: torch.Tensor, x_s: torch.Tensor):
        """HDF eq. 11, normalised: (lambda_t, lambda_s), each [B], sum 1."""
        lam_t = torch.sigmoid(self.gate_t(x_t.mean(dim=(2, 3, 4)))).squeeze(1)
        lam_s = torch.sigmoid(self.gate_s(x_s.mean(dim=(2, 3, 4)))).squeeze(1)
        total = lam_t + lam_s
        return lam_t / total, lam_s / total

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5 or x.shape[1] != self.channels:
            raise ValueError(
                f'DAM expects [B, {self.channels}, T, H, W], got '
                f'{tuple(x.shape)}; set DAM(channels=...) to the stage width.')
        if self.temporal is None:
            return self.frequency(x)
        if self.frequency is None:
            return self.temporal(x)
        x_t = self.temporal(x)
        x_s = self.frequency(x)
        lam_t, lam_s = self.fusion_weights(x_t, x_s)
        shape = (-1, 1, 1, 1, 1)
        return lam_t.view(shape) * x_t + lam_s.view(shape) * x_s  # eq. 12
