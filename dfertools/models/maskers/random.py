"""Uniform random token masking (MAE / VideoMAE's "random" baseline).

Every sample masks exactly ``floor(rho * N)`` tokens chosen uniformly at random
and independently of the other samples. Vectorised over the batch: the
masked set of a row is the top-``Nm`` of i.i.d. uniform noise.
"""
from typing import Tuple

import torch

from dfertools.registry import MASKERS
from .base import BaseMasker, MaskOutput


def random_subset_mask(batch: int, n: int, k: int,
                       device: torch.device) -> torch.Tensor:
    """A ``[batch, n]`` bool tensor with exactly ``k`` uniformly random
    ``True`` entries per row (top-k of uniform noise)."""
    mask = torch.zeros(batch, n, dtype=torch.bool, device=device)
    if k > 0:
        noise = torch.rand(batch, n, device=device)
        mask.scatter_(1, noise.topk(k, dim=1).indices, True)
    return mask


@MASKERS.register_module()
class RandomMasker(BaseMasker):
    """Mask ``floor(mask_ratio * N)`` tokens per sample uniformly at random.

    Args:
        mask_ratio (float): fraction of tokens hidden from the encoder.
    """

    def sample(self, tokens: torch.Tensor,
               grid: Tuple[int, int, int]) -> MaskOutput:
        b, n = tokens.shape[:2]
        k = self.num_masked(n)
        mask = random_subset_mask(b, n, k, tokens.device)
        return self.from_mask(mask, n_masked=k)
