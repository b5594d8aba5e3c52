"""Hard Region Discovery masker (HI2M §3.3, eq. 6; docs/design.md,
'HRD masker').

A policy network ``theta`` - one transformer block (multi-head
self-attention + FFN, as AdaMAE's sampling network) over the embedded tokens,
then ``Linear(D, 1)`` and a softmax over the ``N`` tokens of a sample - gives
the categorical distribution ``P`` (hi2m §3.3). Deliberate choice
(docs/design.md, 'HRD masker'):
``P`` is the distribution from which the *visible* tokens are drawn,
``I_v ~ Categorical(N_v, P)`` without replacement (eq. 6), with
``N_v = N - floor(rho * N)`` (:meth:`BaseMasker.num_masked`). Sampling uses
the Gumbel top-k trick, which draws an ordered sample without replacement
from ``P`` in one vectorised step. ``log_prob`` ``[B, N] = log P`` feeds the policy loss (hi2m eq. 7,
:class:`~dfertools.models.losses.HRDPolicyLoss`).

The tokens are detached by default (``detach_input``), so the policy loss
never reaches the tubelet embedding; the sampled indices carry no gradient,
so the MAE loss never reaches the policy. In eval mode
(``deterministic_eval=True``) the ``N_v`` most probable tokens are kept.
"""
from typing import Optional, Tuple

import torch
from torch import nn

from dfertools.registry import MASKERS
from ..layers import TransformerBlock, init_vit_weights
from .base import BaseMasker, MaskOutput


def gumbel_topk(log_prob: torch.Tensor, k: int) -> torch.Tensor:
    """``k`` indices per row drawn without replacement from
    ``Categorical(exp(log_prob))`` (Gumbel top-k; Kool et al. 2019)."""
    gumbel = -torch.empty_like(log_prob).exponential_().log()
    return (log_prob.detach() + gumbel).topk(k, dim=-1).indices


@MASKERS.register_module()
class HRDMasker(BaseMasker):
    """Learned token-sampling policy of HI2M.

    Paper: HI2M, "HI2M: Hard Inter- and Intra-sample Masking for Dynamic Facial
    Expression Recognition", §3.3, eq. 6 (docs/papers.md).

    Args:
        mask_ratio (float): ``rho``; ``N - floor(rho * N)`` tokens stay
            visible.
        embed_dims (int): token width (the pretrainer fills it from the
            backbone when omitted).
        num_heads (int, optional): attention heads; ``embed_dims // 64``
            when omitted.
        mlp_ratio (float): FFN width of the policy block.
        detach_input (bool): stop gradients from the policy into the
            embedding (default; docs/design.md, 'HRD masker').
        deterministic_eval (bool): in eval mode keep the top-``N_v`` tokens
            of ``P`` instead of sampling.
    """

    provides_log_prob = True
    needs_policy_loss = True

    def __init__(self, mask_ratio: float = 0.9, embed_dims: int = 768,
                 num_heads: Optional[int] = None, mlp_ratio: float = 4.,
                 detach_input: bool = True, deterministic_eval: bool = True):
        super().__init__(mask_ratio)
        num_heads = num_heads or max(embed_dims // 64, 1)
        self.block = TransformerBlock(embed_dims, num_heads, mlp_ratio)
        self.head = nn.Linear(embed_dims, 1)
        self.detach_input = detach_input
        self.deterministic_eval = deterministic_eval
        init_vit_weights(self)

    def log_probs(self, tokens: torch.Tensor) -> torch.Tensor:
        """``log P`` ``[B, N]`` (float32) of the policy for ``tokens``."""
        x = tokens.detach() if self.detach_input else tokens
        logits = self.head(self.block(x)).squeeze(-1)
        return torch.log_softmax(logits.float(), dim=-1)

    def sample(self, tokens: torch.Tensor,
               grid: Tuple[int, int, int]) -> MaskOutput:
        n = tokens.shape[1]
        log_prob = self.log_probs(tokens)
        n_visible = n - self.num_masked(n)
        if self.training or not self.deterministic_eval:
            visible = gumbel_topk(log_prob, n_visible)
        else:
            visible = log_prob.detach().topk(n_visible, dim=-1).indices
        return self.from_visible(visible, n, log_prob)
