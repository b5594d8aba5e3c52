"""Adaptive temporal soft mask ``S = S_agn * S_sem`` (AdaTosk eq. 12).

Combines :class:`ClassAgnosticSoftMask` (eq. 4-7, ``[B, n_t, n_s, D]``) and
:class:`ClassSemanticSoftMask` (eq. 8-11, ``[B, n_t, n_s]``, broadcast over
``D``). Each part can be switched off (``None``), giving the Table 3 rows:
CA only, CS only (with its ``scores`` option ``'A+M'``/``'A'``/``'M'``) and
CA + CS. With both off the mask is all ones, so the pooled feature of
:meth:`pool` is the plain mean of the visible tokens (AdaTosk without †).
"""
from typing import Optional

import torch
from torch import nn

from dfertools.registry import MODELS
from .class_agnostic import check_token_grid


@MODELS.register_module()
class AdaptiveTemporalSoftMask(nn.Module):
    """``S = S_agn ⊙ S_sem`` (eq. 12) and the soft-masked pooling (eq. 1, 13).

    Paper: AdaTosk, "Soften the Mask: Adaptive Temporal Soft Mask for Efficient
    Dynamic Facial Expression Recognition", eq. 1, 12-13 (docs/papers.md).

    Args:
        class_agnostic (dict, optional): config of the class-agnostic mask
            (e.g. ``dict(type='ClassAgnosticSoftMask', embed_dims=768)``);
            ``None`` switches it off.
        class_semantic (dict, optional): config of the class-semantic mask;
            ``None`` switches it off.
        embed_dims (int, optional): token width, filled into the two
            configs when they leave ``embed_dims`` out.
    """

    def __init__(self,
                 class_agnostic: Optional[dict] = None,
                 class_semantic: Optional[dict] = None,
                 embed_dims: Optional[int] = None):
        super().__init__()
        self.class_agnostic = self._build(class_agnostic, embed_dims)
        self.class_semantic = self._build(class_semantic, embed_dims)

    @staticmethod
    def _build(cfg: Optional[dict], embed_dims: Optional[int]):
        if not cfg:
            return None
        cfg = dict(cfg)
        if embed_dims is not None:
            cfg.setdefault('embed_dims', embed_dims)
        return MODELS.build(cfg)

    @property
    def enabled(self) -> bool:
        return (self.class_agnostic is not None
                or self.class_semantic is not None)

    def forward(self, tokens: torch.Tensor) -> Optional[torch.Tensor]:
        """``S`` broadcastable to ``tokens [B, n_t, n_s, D]`` (eq. 12), or
        ``None`` when both masks are off."""
        check_token_grid(tokens)
        mask = None
        if self.class_agnostic is not None:
            mask = self.class_agnostic(tokens)
        if self.class_semantic is not None:
            sem = self.class_semantic(tokens)[..., None]
            mask = sem if mask is None else mask * sem
        return mask

    def pool(self, tokens: torch.Tensor) -> torch.Tensor:
        """Mean over the visible tokens of ``E ⊙ S`` (eq. 1 and 13):
        ``[B, n_t, n_s, D] -> [B, D]``."""
        mask = self(tokens)
        masked = tokens if mask is None else tokens * mask
        return masked.mean((1, 2))
