"""Fixed tube mask: a deterministic tube mask for evaluation (AdaTosk §3).

AdaTosk classifies from the *visible* tokens only, also at test time, so the
test-time hard mask must not depend on the random state: this masker draws
one spatial pattern from a generator seeded with ``seed`` (the same pattern
for every sample, call and device) and repeats it over every temporal slice
(a tube, like :class:`TubeMasker`), masking exactly ``int(rho * H'W')``
tokens per slice. ``mask_ratio=0`` keeps every token.

Deliberate choice (DESIGN §6 leaves the eval pattern open): a seeded random
pattern rather than a regular grid, so the test-time token layout has the
same statistics as the random tube masks seen in training.
"""
from typing import Tuple

import torch

from dfertools.registry import MASKERS
from .base import BaseMasker, MaskOutput, grid_size


@MASKERS.register_module()
class FixedTubeMasker(BaseMasker):
    """Deterministic tube mask.

    Args:
        mask_ratio (float): fraction of each slice's ``H'W'`` tokens hidden,
            in ``[0, 1)``. Defaults to 0.7.
        seed (int): seed of the spatial pattern.
    """

    def __init__(self, mask_ratio: float = 0.7, seed: int = 0):
        super().__init__(mask_ratio)
        self.seed = int(seed)

    def spatial_mask(self, h: int, w: int) -> torch.Tensor:
        """The ``[H'W']`` bool slice mask (True = masked), on the CPU."""
        gen = torch.Generator().manual_seed(self.seed)
        order = torch.randperm(h * w, generator=gen)
        mask = torch.zeros(h * w, dtype=torch.bool)
        mask[order[:self.num_masked(h * w)]] = True
        return mask

    def forward(self, tokens: torch.Tensor,
                grid: Tuple[int, int, int]) -> MaskOutput:
        b, n = tokens.shape[:2]
        t, h, w = (int(g) for g in grid)
        if n != grid_size(grid):
            raise ValueError(f'FixedTubeMasker: {n} tokens do not match the '
                             f'grid {tuple(grid)}')
        # built on the CPU from the known pattern and moved once: no
        # data-dependent host sync, and it runs on the meta device (FLOPs)
        mask = self.spatial_mask(h, w).repeat(t)
        order = torch.arange(n)
        visible, masked = order[~mask], order[mask]

        def batched(x: torch.Tensor) -> torch.Tensor:
            return x.to(tokens.device)[None].expand(b, -1)

        return MaskOutput(batched(visible), batched(masked), batched(mask))
