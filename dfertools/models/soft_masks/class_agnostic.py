"""Class-agnostic dynamic soft mask (AdaTosk eq. 4-7).

Tensor-level reading of docs/design.md, 'AdaTosk', which we follow:

* frame descriptors ``f_t = mean_s E[t, s]`` over the visible tokens
  ``E [B, n_t, n_s, D]`` (eq. 4, "avgpool"),
* distance of adjacent descriptors ``tau(t-1, t)``: L1 ``sum_d |f_t - f_{t-1}|``
  by default (eq. 4); ``'l2'`` and ``'cosine'`` (``1 - cos``) are the
  alternatives of the paper's Table 4,
* the second frame of each of the top-K pairs is *active* (eq. 5),
* ``x~_t = softmax_d(theta(f_t)) * f_t + f_t`` with ``theta`` a two-layer MLP
  ``D -> D/mu -> D`` with a ReLU in between (eq. 6),
* ``S_agn[t, s, d] = N_vis * softmax_{(t, s)}(E[t, s, d] * x_bar[d])`` with
  ``x_bar`` the mean of ``x~`` over the active frames (eq. 7). The softmax runs
  over all ``N_vis = n_t * n_s`` visible tokens, separately per channel, and
  the factor ``N_vis`` makes the mask average 1 over tokens, so a flat input
  leaves the pooled feature unchanged.

Deliberate choices (docs/design.md, 'AdaTosk'): eq. 7 is written per frame in
the paper; we
use one descriptor ``x_bar`` for the clip (mean over the K active frames) and
normalise over all visible tokens, as that section fixes. Ties in the top-K use
``torch.topk``'s order; a clip with a single temporal slice has no pairs and
uses that slice as its only active frame.
"""
from typing import Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from dfertools.registry import MODELS

DISTANCES = ('l1', 'l2', 'cosine')


def check_token_grid(tokens: torch.Tensor) -> None:
    """Raise a clear error unless ``tokens`` is ``[B, n_t, n_s, D]``."""
    if tokens.dim() != 4:
        raise ValueError(
            'soft masks take encoded visible tokens shaped [B, n_t, n_s, D] '
            f'(a tube mask keeps n_s tokens per temporal slice), got shape '
            f'{tuple(tokens.shape)}; reshape [B, Nv, D] with '
            'tokens.view(B, n_t, Nv // n_t, D)')


@MODELS.register_module()
class ClassAgnosticSoftMask(nn.Module):
    """AdaTosk class-agnostic dynamic soft mask (eq. 4-7).

    Paper: AdaTosk, "Soften the Mask: Adaptive Temporal Soft Mask for Efficient
    Dynamic Facial Expression Recognition", eq. 4-7 (docs/papers.md).

    Args:
        embed_dims (int): token width ``D``.
        top_k (int): number of active frames K (eq. 5). Clipped to the
            number of adjacent pairs ``n_t - 1``. Defaults to 4.
        reduction (int): ``mu``, the bottleneck factor of ``theta`` (eq. 6).
            Defaults to 4.
        distance (str): ``'l1'`` (default, eq. 4), ``'l2'`` or ``'cosine'``
            (Table 4).
    """

    def __init__(self,
                 embed_dims: int,
                 top_k: int = 4,
                 reduction: int = 4,
                 distance: str = 'l1'):
        super().__init__()
        if distance not in DISTANCES:
            raise ValueError(f'distance must be one of {DISTANCES}, '
                             f'got {distance!r}')
        if top_k < 1:
            raise ValueError(f'top_k must be >= 1, got {top_k}')
        hidden = max(1, embed_dims // reduction)
        self.embed_dims = embed_dims
        self.top_k = int(top_k)
        self.distance = distance
        # theta: the squeeze-and-excitation style channel unit of eq. 6
        self.theta = nn.Sequential(
            nn.Linear(embed_dims, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, embed_dims))

    def frame_distances(self, frames: torch.Tensor) -> torch.Tensor:
        """``tau(t-1, t)`` for every adjacent pair (eq. 4): ``[B, n_t-1]``."""
        prev, nxt = frames[:, :-1], frames[:, 1:]
        if self.distance == 'l1':
            return (nxt - prev).abs().sum(-1)
        if self.distance == 'l2':
            return (nxt - prev).pow(2).sum(-1).sqrt()
        return 1.0 - F.cosine_similarity(nxt, prev, dim=-1, eps=1e-8)

    def active_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """Indices ``[B, K]`` of the active frames (eq. 5): the second frame
        of each of the top-K most distant adjacent pairs."""
        n_t = frames.shape[1]
        if n_t < 2:
            return frames.new_zeros(frames.shape[0], 1, dtype=torch.long)
        tau = self.frame_distances(frames)
        k = min(self.top_k, n_t - 1)
        return tau.topk(k, dim=1).indices + 1

    def forward(
        self,
        tokens: torch.Tensor,
        return_active: bool = False
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        """Compute ``S_agn`` ``[B, n_t, n_s, D]`` from ``E [B, n_t, n_s, D]``.

        With ``return_active`` also returns the active frame indices
        ``[B, K]``.
        """
        check_token_grid(tokens)
        b, n_t, n_s, d = tokens.shape
        frames = tokens.mean(2)  # f_t, eq. 4
        active = self.active_frames(frames)
        picked = frames.gather(1, active[..., None].expand(-1, -1, d))
        enhanced = self.theta(picked).softmax(-1) * picked + picked  # eq. 6
        x_bar = enhanced.mean(1)  # [B, D]
        logits = (tokens * x_bar[:, None, None, :]).reshape(b, n_t * n_s, d)
        mask = logits.softmax(1).mul(n_t * n_s).view(b, n_t, n_s, d)  # eq. 7
        if return_active:
            return mask, active
        return mask
