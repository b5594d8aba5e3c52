"""The masker contract (docs/design.md, 'Masker contract').

A masker decides, per sample, which of the N embedded tokens the encoder sees.
``forward(tokens[B, N, D], grid=(T', H', W'))`` returns a :class:`MaskOutput`:

* ``visible_idx`` ``[B, Nv]`` long, sorted ascending,
* ``masked_idx``  ``[B, Nm]`` long, sorted ascending, ``Nv + Nm = N``,
* ``mask``        ``[B, N]`` bool, ``True`` = masked,
* ``log_prob``    ``[B, N]`` float or ``None`` (policy-gradient maskers).

Implementations are vectorised over the batch (no Python loop over samples)
and every sample has the same ``Nv`` so the encoder can gather a dense batch.
Third-party maskers subclass :class:`BaseMasker` and register with
``@MASKERS.register_module()``.
"""
from typing import NamedTuple, Optional, Sequence, Tuple

import torch
from torch import nn

from ..utils.ratio_count import ratio_floor


class MaskOutput(NamedTuple):
    visible_idx: torch.Tensor
    masked_idx: torch.Tensor
    mask: torch.Tensor
    log_prob: Optional[torch.Tensor] = None


class BaseMasker(nn.Module):
    """Base class: holds the mask ratio and turns a boolean mask into indices.

    Args:
        mask_ratio (float): fraction of tokens hidden from the encoder, in
            ``[0, 1)``.
    """

    def __init__(self, mask_ratio: float = 0.9):
        super().__init__()
        if not 0.0 <= mask_ratio < 1.0:
            raise ValueError(
                f'mask_ratio must be in [0, 1), got {mask_ratio}')
        self.mask_ratio = float(mask_ratio)

    def num_masked(self, n: int) -> int:
        """Tokens masked out of ``n``: ``floor(ratio * n)`` (VideoMAE's
        ``int(ratio * n)``, without its float error: 0.7 of 90 is 63, see
        :func:`~dfertools.models.utils.ratio_count.ratio_floor`)."""
        return ratio_floor(self.mask_ratio, n)

    def forward(self, tokens: torch.Tensor,
                grid: Tuple[int, int, int]) -> MaskOutput:
        raise NotImplementedError

    @staticmethod
    def from_mask(mask: torch.Tensor,
                  log_prob: Optional[torch.Tensor] = None,
                  n_masked: Optional[int] = None) -> MaskOutput:
        """Build a :class:`MaskOutput` from a ``[B, N]`` bool mask in which
        every row masks the same number of tokens.

        Maskers that know their masked count statically pass ``n_masked``:
        the equal-count check (which reads the counts back to the host, a
        device sync per step) is then skipped. Without it the counts are
        checked and a clear error names them.
        """
        if mask.dim() != 2 or mask.dtype != torch.bool:
            raise ValueError('mask must be a [B, N] bool tensor')
        if n_masked is None:
            counts = mask.sum(1)
            if mask.shape[0] and not bool((counts == counts[0]).all()):
                raise ValueError('every sample must mask the same number of '
                                 f'tokens, got counts {counts.tolist()}')
            n_masked = int(counts[0]) if mask.shape[0] else 0
        # stable argsort of the bool mask: visible (False) first, each group
        # in ascending token order
        order = torch.sort(mask.to(torch.int8), dim=1, stable=True).indices
        n_visible = mask.shape[1] - n_masked
        return MaskOutput(order[:, :n_visible], order[:, n_visible:], mask,
                          log_prob)

    @staticmethod
    def from_visible(visible_idx: torch.Tensor, n: int,
                     log_prob: Optional[torch.Tensor] = None) -> MaskOutput:
        """Build a :class:`MaskOutput` from distinct (unsorted) visible
        indices ``[B, Nv]``; sync-free since the masked count is known."""
        mask = torch.ones(visible_idx.shape[0], n, dtype=torch.bool,
                          device=visible_idx.device)
        mask.scatter_(1, visible_idx, False)
        return BaseMasker.from_mask(mask, log_prob,
                                    n_masked=n - visible_idx.shape[1])


def grid_size(grid: Sequence[int]) -> int:
    t, h, w = grid
    return int(t) * int(h) * int(w)
