"""Tube-window masking for LGI-Former pretraining (mae_dfer §3.4).

mae_dfer pretrains LGI-Former with VideoMAE's tube masking but "applies the
same masking ratio to each local region to ensure that all regions have an
equal number of visible tokens". We implement it as the authors' code does:
the ``H' x W'`` plane is cut into windows of the region's spatial size
``h x w``; inside each window exactly ``floor(rho * h * w)`` positions are
masked at random, and that spatial mask is repeated over every temporal slice
(a tube). Every ``t x h x w`` region then holds exactly
``t * (h*w - floor(rho*h*w))`` visible tokens, which LGI-Former requires.
"""
from typing import Sequence, Tuple

import torch

from dfertools.registry import MASKERS
from .base import BaseMasker, MaskOutput
from .random import random_subset_mask


@MASKERS.register_module()
class TubeWindowMasker(BaseMasker):
    """Tube masking with an equal visible count in every LGI region.

    Paper: MAE-DFER, "MAE-DFER: Efficient Masked Autoencoder for
    Self-supervised Dynamic Facial Expression Recognition", §3.4
    (docs/papers.md).

    Args:
        mask_ratio (float): fraction of each window's tokens hidden.
        region_size (tuple[int]): LGI region ``(t, h, w)`` in tokens; must
            divide the token grid (default ``(2, 5, 10)`` on ``8x10x10``).
    """

    tube_structure = True

    def __init__(self, mask_ratio: float = 0.9,
                 region_size: Sequence[int] = (2, 5, 10)):
        super().__init__(mask_ratio)
        if len(region_size) != 3 or min(region_size) < 1:
            raise ValueError('region_size must be three positive ints '
                             f'(t, h, w), got {region_size}')
        self.region_size = tuple(int(r) for r in region_size)

    def expected_num_masked(self, grid: Tuple[int, int, int]) -> int:
        """``floor(rho * h*w)`` per ``h x w`` window and temporal slice."""
        t, h, w = grid
        _, rh, rw = self.region_size
        return t * (h // rh) * (w // rw) * self.num_masked(rh * rw)

    def sample(self, tokens: torch.Tensor,
               grid: Tuple[int, int, int]) -> MaskOutput:
        b, n = tokens.shape[:2]
        t, h, w = grid
        rt, rh, rw = self.region_size
        if t % rt or h % rh or w % rw:
            raise ValueError(
                f'TubeWindowMasker: region_size {self.region_size} does not '
                f'divide the token grid {(t, h, w)}; set region_size (and the '
                'backbone\'s region size) to divisors of the grid')
        nh, nw = h // rh, w // rw
        win = random_subset_mask(b * nh * nw, rh * rw,
                                 self.num_masked(rh * rw), tokens.device)
        # [B, nh, nw, rh, rw] -> [B, nh, rh, nw, rw] = [B, H', W'] raster
        spatial = win.view(b, nh, nw, rh, rw).permute(0, 1, 3, 2, 4)
        spatial = spatial.reshape(b, 1, h * w)
        mask = spatial.expand(b, t, h * w).reshape(b, n)
        return self.from_mask(mask, n_masked=self.expected_num_masked(grid))
