"""Multi-head attention (mae_dfer eq. 5-7 self-attention, eq. 13-14
cross-attention).

Two parameter layouts, both with a bias-free projection plus learnable
``q_bias`` / ``v_bias`` and an implicit zero key bias:

* :class:`Attention` - fused ``qkv`` Linear (VideoMAE / ViT layout);
* :class:`CrossAttention` - separate ``q`` and ``kv`` Linears (MAE-DFER's
  LGI-Former layout); queries from ``x``, keys/values from ``context``
  (``context=None`` gives self-attention).

Both compute ``softmax(QK^T / sqrt(d)) V`` in :func:`attention_core`, with
``F.scaled_dot_product_attention`` or the explicit matrix products as the
process-wide switch of :mod:`dfertools.models.layers.fused_attn` says.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from .fused_attn import use_fused_attn


def attention_core(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                   dropout_p: float = 0.) -> torch.Tensor:
    """``softmax(q k^T / sqrt(d)) v`` on ``[B, heads, L, d]`` (eq. 7),
    fused or explicit as :func:`use_fused_attn` says."""
    if use_fused_attn():
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
    attn = (q * q.shape[-1]**-0.5) @ k.transpose(-2, -1)
    attn = attn.softmax(dim=-1)
    if dropout_p > 0:
        attn = F.dropout(attn, p=dropout_p)
    return attn @ v


class _AttentionBase(nn.Module):

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool,
                 attn_drop: float, proj_drop: float):
        super().__init__()
        if dim % num_heads != 0:
            raise ValueError(f'{type(self).__name__}: dim {dim} is not '
                             f'divisible by num_heads {num_heads}.')
        self.dim = dim
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        if qkv_bias:
            self.q_bias = nn.Parameter(torch.zeros(dim))
            self.v_bias = nn.Parameter(torch.zeros(dim))
        else:
            self.q_bias = None
            self.v_bias = None
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.reshape(b, n, self.num_heads, -1).transpose(1, 2)

    def _attend(self, q, k, v) -> torch.Tensor:
        p = self.attn_drop if self.training else 0.
        out = attention_core(q, k, v, p)
        b, _, n, _ = out.shape
        out = out.transpose(1, 2).reshape(b, n, self.dim)
        return self.proj_drop(self.proj(out))

    def extra_repr(self) -> str:
        return f'dim={self.dim}, num_heads={self.num_heads}'


class Attention(_AttentionBase):
    """Self-attention with a fused ``qkv`` projection (VideoMAE layout)."""

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = True,
                 attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__(dim, num_heads, qkv_bias, attn_drop, proj_drop)
        self.qkv = nn.Linear(dim, dim * 3, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = None
        if self.q_bias is not None:
            bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias),
                              self.v_bias))
        q, k, v = F.linear(x, self.qkv.weight, bias).chunk(3, dim=-1)
        return self._attend(self._heads(q), self._heads(k), self._heads(v))


class CrossAttention(_AttentionBase):
    """Attention from ``x`` to ``context`` (eq. 13-14) with separate ``q`` and
    ``kv`` projections (MAE-DFER layout); self-attention if ``context`` is
    ``None``."""

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = True,
                 attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__(dim, num_heads, qkv_bias, attn_drop, proj_drop)
        self.q = nn.Linear(dim, dim, bias=False)
        self.kv = nn.Linear(dim, dim * 2, bias=False)

    def forward(self, x: torch.Tensor,
                context: Optional[torch.Tensor] = None) -> torch.Tensor:
        context = x if context is None else context
        kv_bias = None
        if self.q_bias is not None:
            kv_bias = torch.cat((torch.zeros_like(self.v_bias), self.v_bias))
        q = F.linear(x, self.q.weight, self.q_bias)
        k, v = F.linear(context, self.kv.weight, kv_bias).chunk(2, dim=-1)
        return self._attend(self._heads(q), self._heads(k), self._heads(v))
