"""Tube masking (VideoMAE, as used in mae_dfer §3.1).

One spatial mask per sample, repeated over every temporal slice of the token
grid, so a masked face region stays hidden for the whole clip and the encoder
cannot copy it from a neighbouring frame. Each slice masks exactly
``floor(rho * H' * W')`` tokens (:meth:`BaseMasker.num_masked`); the total
masked count is therefore ``T' * floor(rho * H'W')`` (which can differ from
``floor(rho * N)``).
"""
from typing import Tuple

import torch

from dfertools.registry import MASKERS
from .base import BaseMasker, MaskOutput
from .random import random_subset_mask


@MASKERS.register_module()
class TubeMasker(BaseMasker):
    """Same random spatial mask for every temporal slice.

    Paper: VideoMAE, "VideoMAE: Masked Autoencoders are Data-Efficient Learners
    for Self-Supervised Video Pre-Training", tube masking (docs/papers.md).

    Args:
        mask_ratio (float): fraction of each slice's ``H'W'`` tokens hidden.
    """

    tube_structure = True

    def sample(self, tokens: torch.Tensor,
               grid: Tuple[int, int, int]) -> MaskOutput:
        b, n = tokens.shape[:2]
        t, h, w = grid
        spatial = random_subset_mask(b, h * w, self.num_masked(h * w),
                                     tokens.device)
        # tokens are in (t, h, w) order: repeat the slice mask T' times
        mask = spatial[:, None, :].expand(b, t, h * w).reshape(b, n)
        return self.from_mask(mask, n_masked=t * self.num_masked(h * w))
