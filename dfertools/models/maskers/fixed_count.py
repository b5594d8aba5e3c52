"""Sync-free index extraction for maskers that know their masked count.

:meth:`BaseMasker.from_mask` validates that every row masks the same number
of tokens, which reads the counts back to the host (a GPU sync per step).
The built-in maskers mask a count they know statically, so they use
:func:`output_from_mask` instead: the same stable-sort construction (visible
first, each group ascending) without the check.
"""
from typing import Optional

import torch

from .base import MaskOutput


def output_from_mask(mask: torch.Tensor, n_masked: int,
                     log_prob: Optional[torch.Tensor] = None) -> MaskOutput:
    """:class:`MaskOutput` of a ``[B, N]`` bool mask whose rows each hold
    exactly ``n_masked`` ``True`` entries (not checked)."""
    order = torch.sort(mask.to(torch.int8), dim=1, stable=True).indices
    n_visible = mask.shape[1] - n_masked
    return MaskOutput(order[:, :n_visible], order[:, n_visible:], mask,
                      log_prob)


def output_from_visible(visible_idx: torch.Tensor, n: int,
                        log_prob: Optional[torch.Tensor] = None
                        ) -> MaskOutput:
    """:class:`MaskOutput` from distinct, unsorted visible indices
    ``[B, Nv]``."""
    mask = torch.ones(visible_idx.shape[0], n, dtype=torch.bool,
                      device=visible_idx.device)
    mask.scatter_(1, visible_idx, False)
    return output_from_mask(mask, n - visible_idx.shape[1], log_prob)
