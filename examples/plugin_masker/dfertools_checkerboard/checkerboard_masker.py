"""``CheckerboardMasker``: a deterministic 3-D checkerboard over the tokens.

Token ``(t, h, w)`` of the ``(T', H', W')`` grid is a *black* cell when
``t + h + w`` is even. The masker hides ``floor(mask_ratio * N)`` tokens
(:meth:`BaseMasker.num_masked`): black cells first, then white ones, each in
raster (t, h, w) order. At ``mask_ratio=0.5`` on a grid with an even token
count it hides exactly the black cells, so every visible token has its six
neighbours masked — a fixed, evenly spread pattern useful as an ablation
against random and tube masking. The same pattern is used for every sample
(computed once per grid, expanded over the batch; no loop over samples).
"""
import torch

from dfertools.models.maskers.base import BaseMasker, MaskOutput
from dfertools.registry import MASKERS


@MASKERS.register_module()
class CheckerboardMasker(BaseMasker):
    """Deterministic checkerboard masking.

    Args:
        mask_ratio (float): fraction of tokens hidden, in ``[0, 1)``.
            Default 0.5 (the plain checkerboard).
    """

    deterministic_eval = True  # the same pattern whatever the random state

    def __init__(self, mask_ratio: float = 0.5):
        super().__init__(mask_ratio)

    @staticmethod
    def pattern(grid, device=None) -> torch.Tensor:
        """``[N]`` bool, ``True`` on black cells, in (t, h, w) order."""
        t, h, w = (torch.arange(int(n), device=device) for n in grid)
        parity = t[:, None, None] + h[None, :, None] + w[None, None, :]
        return (parity % 2 == 0).flatten()

    def sample(self, tokens: torch.Tensor, grid) -> MaskOutput:
        """``BaseMasker.forward`` has checked ``grid`` against ``tokens``
        and checks the output."""
        b, n = tokens.shape[:2]
        black = self.pattern(grid, tokens.device)
        # black cells first, then white, each in raster order
        priority = (~black).long() * n + torch.arange(n, device=tokens.device)
        hide = torch.argsort(priority)[:self.num_masked(n)]
        mask = torch.zeros(n, dtype=torch.bool, device=tokens.device)
        mask[hide] = True
        return self.from_mask(mask.expand(b, n).contiguous(),
                              n_masked=self.num_masked(n))
