"""Class-semantic similar soft mask (AdaTosk eq. 8-11).

Tensor-level reading of docs/design.md, 'AdaTosk', which we follow,
on the encoded visible tokens ``E [B, n_t, n_s, D]``:

* temporal accumulative score ``M [B, n_t, n_s]``, each row a distribution
  over the ``n_s`` tokens of a frame (eq. 8); ``M_1`` is uniform,
* for each ``t``: drop the top-r tokens of ``M_t`` (the ``r`` largest scores),
  keeping ``n_s - r`` tokens ``E'_t`` and scores ``M'_t``; the transition
  ``P [n_s, n_s - r] = softmax(f(E_{t+1}) f(E'_t)^T / sqrt(d_f))`` with ``f``
  a linear projection head of width ``d_f``, and ``M_{t+1} = P M'_t``
  renormalised to sum 1 (eq. 9; the dropped tokens' mass leaves the chain),
* semantic score ``A[t, s] = sum_d |E[t, s, d]|`` (eq. 10),
* ``S_sem = minmax(A * (1 - M))`` (eq. 11), min-max normalised to ``[0, 1]``
  over all visible tokens of a sample.

The Table 3 variants are the ``scores`` option: ``'A+M'`` (eq. 11, default),
``'A'`` (``minmax(A)``) and ``'M'`` (``minmax(1 - M)``).

Deliberate choices:

* the softmax of eq. 9 normalises each of the ``n_s - r`` remaining columns
  (over the ``n_s`` tokens of frame ``t+1``), so ``P`` is column-stochastic:
  ``P = P(X_{t+1} | X'_t)`` is, per source token ``j``, a distribution over
  the next frame's tokens, and ``M_{t+1} = P M'_t`` moves each surviving
  token's mass to the tokens similar to it (a Markov chain). This is the
  reading the paper supports (docs/design.md, 'AdaTosk eq. 9: column
  normalisation'). A
  row-stochastic ``P`` (each row normalised across the columns) maps a
  uniform ``M'_t`` to a uniform ``M_{t+1}``, so with the uniform ``M_1`` the
  score ``M`` would stay uniform for every frame and CS(M) would be void;
* the ``1/sqrt(d_f)`` temperature (the paper's eq. 9 has none);
* top-r ties (e.g. in the uniform ``M_1``) drop the lowest token indices
  first (a stable descending sort), so the result is deterministic;
* the min-max denominator is clamped at ``eps``: a constant map gives 0
  rather than NaN.
"""
import math
from typing import Optional

import torch
from torch import nn

from dfertools.registry import MODELS
from .class_agnostic import check_token_grid

SCORES = ('A+M', 'A', 'M')


def minmax_per_sample(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Min-max normalise ``x [B, ...]`` to ``[0, 1]`` per sample."""
    flat = x.flatten(1)
    lo = flat.min(1, keepdim=True).values
    hi = flat.max(1, keepdim=True).values
    return ((flat - lo) / (hi - lo).clamp_min(eps)).view_as(x)


@MODELS.register_module()
class ClassSemanticSoftMask(nn.Module):
    """AdaTosk class-semantic similar soft mask (eq. 8-11).

    Paper: AdaTosk, "Soften the Mask: Adaptive Temporal Soft Mask for Efficient
    Dynamic Facial Expression Recognition", eq. 8-11 (docs/papers.md).

    Args:
        embed_dims (int): token width ``D``.
        top_r (int): tokens with the highest accumulative score excluded
            from each transition (eq. 9). Must be smaller than the visible
            tokens per frame. Defaults to 2.
        proj_dims (int, optional): width ``d_f`` of the projection head
            ``f``. Defaults to ``embed_dims``.
        scores (str): ``'A+M'`` (eq. 11), ``'A'`` or ``'M'`` (Table 3).
        eps (float): floor of the min-max denominator.
    """

    def __init__(self,
                 embed_dims: int,
                 top_r: int = 2,
                 proj_dims: Optional[int] = None,
                 scores: str = 'A+M',
                 eps: float = 1e-6):
        super().__init__()
        if scores not in SCORES:
            raise ValueError(f'scores must be one of {SCORES}, got {scores!r}')
        if top_r < 0:
            raise ValueError(f'top_r must be >= 0, got {top_r}')
        self.embed_dims = embed_dims
        self.top_r = int(top_r)
        self.scores = scores
        self.eps = eps
        # the projection head f of eq. 9 (only used when M is)
        self.proj = (nn.Linear(embed_dims, proj_dims or embed_dims)
                     if 'M' in scores else None)

    def accumulative_score(self, tokens: torch.Tensor) -> torch.Tensor:
        """Temporal accumulative score ``M [B, n_t, n_s]`` (eq. 8-9)."""
        check_token_grid(tokens)
        b, n_t, n_s, _ = tokens.shape
        if self.top_r >= n_s:
            raise ValueError(
                f'top_r={self.top_r} must be smaller than the {n_s} visible '
                'tokens per frame; lower top_r or the hard mask ratio')
        feats = self.proj(tokens)  # f(E), [B, n_t, n_s, d_f]
        scale = 1.0 / math.sqrt(feats.shape[-1])
        scores = [tokens.new_full((b, n_s), 1.0 / n_s)]  # M_1 uniform
        for t in range(n_t - 1):
            m_t = scores[-1]
            # drop the top-r tokens of M_t (ties -> lowest index dropped)
            order = torch.sort(m_t, dim=1, descending=True, stable=True)[1]
            keep = order[:, self.top_r:]
            kept_feats = feats[:, t].gather(
                1, keep[..., None].expand(-1, -1, feats.shape[-1]))
            kept_scores = m_t.gather(1, keep)  # M'_t, [B, n_s - r]
            affinity = feats[:, t + 1] @ kept_feats.transpose(1, 2) * scale
            # P(X_{t+1} | X'_t): each kept column is a distribution over the
            # n_s tokens of frame t+1 (eq. 9), [B, n_s, n_s - r]
            trans = affinity.softmax(1)
            m_next = (trans @ kept_scores[..., None]).squeeze(-1)
            scores.append(m_next / m_next.sum(1, keepdim=True))
        return torch.stack(scores, 1)

    @staticmethod
    def semantic_score(tokens: torch.Tensor) -> torch.Tensor:
        """Activated attention map ``A [B, n_t, n_s]`` (eq. 10)."""
        return tokens.abs().sum(-1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Compute ``S_sem [B, n_t, n_s]`` in ``[0, 1]`` (eq. 11)."""
        check_token_grid(tokens)
        if self.scores == 'A':
            raw = self.semantic_score(tokens)
        elif self.scores == 'M':
            raw = 1.0 - self.accumulative_score(tokens)
        else:
            raw = self.semantic_score(tokens) * (
                1.0 - self.accumulative_score(tokens))
        return minmax_per_sample(raw, self.eps)
