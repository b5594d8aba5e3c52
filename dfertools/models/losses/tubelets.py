"""Cutting a clip into 2x16x16 tubelets and back (shared by the
reconstruction loss, the pretrainer's ``predict`` and the visualisation).

Layout of one tubelet's values, matching VideoMAE's targets and our decoder
head: ``(pt, ph, pw, C)`` flattened, i.e. the first frame's ``ph*pw*C``
values followed by the second frame's. Tokens are in ``(t, h, w)`` order,
the backbones' order.
"""
from typing import Sequence, Tuple

import torch


def _check(clip: torch.Tensor, tubelet: Sequence[int]) -> Tuple[int, ...]:
    if clip.dim() != 5:
        raise ValueError('expected a clip [B, C, T, H, W], got shape '
                         f'{tuple(clip.shape)}')
    b, c, t, h, w = clip.shape
    pt, ph, pw = tubelet
    if t % pt or h % ph or w % pw:
        raise ValueError(f'clip of {t}x{h}x{w} (T x H x W) is not divisible '
                         f'into {pt}x{ph}x{pw} tubelets; choose a clip length '
                         'and crop size that are multiples of the tubelet')
    return b, c, t // pt, h // ph, w // pw


def patchify(clip: torch.Tensor, tubelet: Sequence[int]) -> torch.Tensor:
    """``[B, C, T, H, W] -> [B, N, pt, ph*pw, C]`` (tokens in (t, h, w)
    order)."""
    b, c, nt, nh, nw = _check(clip, tubelet)
    pt, ph, pw = tubelet
    x = clip.reshape(b, c, nt, pt, nh, ph, nw, pw)
    x = x.permute(0, 2, 4, 6, 3, 5, 7, 1)  # b nt nh nw pt ph pw c
    return x.reshape(b, nt * nh * nw, pt, ph * pw, c)


def unpatchify(patches: torch.Tensor, grid: Sequence[int],
               tubelet: Sequence[int], channels: int = 3) -> torch.Tensor:
    """Inverse of :func:`patchify` for flat values ``[B, N, pt*ph*pw*C]``
    (or ``[B, N, pt, ph*pw, C]``) -> ``[B, C, T, H, W]``."""
    nt, nh, nw = (int(g) for g in grid)
    pt, ph, pw = tubelet
    b = patches.shape[0]
    x = patches.reshape(b, nt, nh, nw, pt, ph, pw, channels)
    x = x.permute(0, 7, 1, 4, 2, 5, 3, 6)  # b c nt pt nh ph nw pw
    return x.reshape(b, channels, nt * pt, nh * ph, nw * pw)
