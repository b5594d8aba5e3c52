"""Pre-LN transformer block (ViT / VideoMAE): ``x + attn(LN(x))`` then
``x + FFN(LN(x))`` (mae_dfer eq. 4 and 11 for a single token set).

LayerNorm eps is 1e-6; optional layer scale (``init_values > 0`` creates
``gamma_1`` / ``gamma_2``, as VideoMAE); drop path on both residual branches.
"""
import torch
from torch import nn

from .attention import Attention
from .drop_path import DropPath
from .mlp import Mlp

LN_EPS = 1e-6


def layer_norm(dim: int) -> nn.LayerNorm:
    """The LayerNorm every dfertools transformer uses (eps 1e-6)."""
    return nn.LayerNorm(dim, eps=LN_EPS)


class TransformerBlock(nn.Module):
    """One ViT block; key layout ``norm1, attn.{qkv,q_bias,v_bias,proj},
    norm2, mlp.{fc1,fc2}`` (VideoMAE's)."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.,
                 qkv_bias: bool = True, drop: float = 0.,
                 attn_drop: float = 0., drop_path: float = 0.,
                 init_values: float = 0.):
        super().__init__()
        self.norm1 = layer_norm(dim)
        self.attn = Attention(dim, num_heads, qkv_bias, attn_drop, drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 \
            else nn.Identity()
        self.norm2 = layer_norm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)
        if init_values > 0:
            self.gamma_1 = nn.Parameter(init_values * torch.ones(dim))
            self.gamma_2 = nn.Parameter(init_values * torch.ones(dim))
        else:
            self.gamma_1 = self.gamma_2 = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.attn(self.norm1(x))
        if self.gamma_1 is not None:
            a = self.gamma_1 * a
        x = x + self.drop_path(a)
        m = self.mlp(self.norm2(x))
        if self.gamma_2 is not None:
            m = self.gamma_2 * m
        return x + self.drop_path(m)
