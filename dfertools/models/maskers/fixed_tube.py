"""Fixed tube mask: a deterministic tube mask for evaluation (AdaTosk §3).

AdaTosk classifies from the *visible* tokens only, also at test time, so the
test-time hard mask must not depend on the random state. This masker keeps
the same spatial pattern for every sample, call and device and repeats it
over every temporal slice (a tube, like :class:`TubeMasker`), masking
exactly ``floor(rho * H'W')`` tokens per slice. ``mask_ratio=0`` keeps every
token.

Deliberate choice (docs/design.md, 'AdaTosk evaluation mask'; the
paper leaves the eval pattern open): the default
pattern ``'even'`` spreads the kept tokens over the whole slice. Each row
keeps ``floor(k/H')`` or ``ceil(k/H')`` tokens, evenly spaced along it, and
the rows are staggered by the golden ratio. ``'random'`` draws the pattern
from a generator seeded with ``seed``. One random draw can miss a whole face
region: on a 4x4 grid at rho = 0.7, seed 0 keeps five tokens, all in the
top half, so the mouth is never seen at test time (measured on SynthDFER,
docs/adatosk.md). Random tube masks in training vary from clip to clip, so
no single draw stands for them, but an even spread is never blind to a
region.
"""
from typing import Tuple

import torch

from dfertools.registry import MASKERS
from ..utils.ratio_count import floor_near
from .base import BaseMasker, MaskOutput


GOLDEN = (5 ** 0.5 - 1) / 2


def even_keep_mask(h: int, w: int, keep: int) -> torch.Tensor:
    """``[h*w]`` bool, True on ``keep`` tokens spread over the slice: row
    ``r`` keeps ``floor((r+1)k/h) - floor(rk/h)`` tokens at columns
    ``floor((j + o_r) w / c_r)``, with offset ``o_r = frac(r * 0.618..)``."""
    mask = torch.zeros(h, w, dtype=torch.bool)
    for r in range(h):
        count = (r + 1) * keep // h - r * keep // h
        offset = (r * GOLDEN) % 1.0
        for j in range(count):
            mask[r, min(floor_near((j + offset) * w / count), w - 1)] = True
    return mask.flatten()


@MASKERS.register_module()
class FixedTubeMasker(BaseMasker):
    """Deterministic tube mask.

    Args:
        mask_ratio (float): fraction of each slice's ``H'W'`` tokens hidden,
            in ``[0, 1)``. Defaults to 0.7.
        pattern (str): ``'even'`` (rows balanced, tokens evenly spaced and
            staggered) or ``'random'`` (seeded draw). Defaults to ``'even'``.
        seed (int): seed of the ``'random'`` pattern.
    """

    PATTERNS = ('even', 'random')
    tube_structure = True
    deterministic_eval = True  # in train mode too: no random state at all

    def __init__(self, mask_ratio: float = 0.7, pattern: str = 'even',
                 seed: int = 0):
        super().__init__(mask_ratio)
        if pattern not in self.PATTERNS:
            raise ValueError(f'FixedTubeMasker: pattern must be one of '
                             f'{self.PATTERNS}, got {pattern!r}')
        self.pattern = pattern
        self.seed = int(seed)

    def spatial_mask(self, h: int, w: int) -> torch.Tensor:
        """The ``[H'W']`` bool slice mask (True = masked), on the CPU."""
        if self.pattern == 'random':
            gen = torch.Generator().manual_seed(self.seed)
            order = torch.randperm(h * w, generator=gen)
            mask = torch.zeros(h * w, dtype=torch.bool)
            mask[order[:self.num_masked(h * w)]] = True
            return mask
        return ~even_keep_mask(h, w, h * w - self.num_masked(h * w))

    def sample(self, tokens: torch.Tensor,
               grid: Tuple[int, int, int]) -> MaskOutput:
        b, n = tokens.shape[:2]
        t, h, w = grid
        # built on the CPU from the known pattern and moved once: no
        # data-dependent host sync, and it runs on the meta device (FLOPs)
        mask = self.spatial_mask(h, w).repeat(t)
        order = torch.arange(n)
        visible, masked = order[~mask], order[mask]

        def batched(x: torch.Tensor) -> torch.Tensor:
            return x.to(tokens.device)[None].expand(b, -1)

        return MaskOutput(batched(visible), batched(masked), batched(mask))
