"""One LGI-Former block (mae_dfer §3.4, eq. 3-14).

Input ``[B, M, 1 + n, D]``: for each of the M regions its representative
token S_i followed by its n local tokens X_i. In order:

1. local intra-region self-attention on Concat(S_i, X_i) (eq. 3-4);
2. global inter-region self-attention among the M representative tokens
   (eq. 8-9), optional (``inter``; mae_dfer Table 3 ablation);
3. local-global interaction: every local token cross-attends to all M
   representative tokens, ``X = MHCA(LN(X), LN(S)) + X`` (eq. 10, 13-14),
   optional (``interaction``);
4. FFN on every token with one shared MLP (eq. 11-12).

Key layout as MAE-DFER's ``LGBlock`` (``first_attn_norm0``, ``first_attn``,
``second_attn_norm0``, ``second_attn``, ``third_attn_norm0``,
``third_attn_norm1``, ``third_attn``, ``norm2``, ``mlp``), with ``q`` / ``kv``
projections, so its checkpoints load unchanged. Drop path acts per sample
(the reference drops per region: ``(b n)`` is its batch axis).
"""
import torch
from torch import nn

from .attention import CrossAttention
from .drop_path import DropPath
from .mlp import Mlp
from .transformer_block import layer_norm


class LGIBlock(nn.Module):
    """One LGI-Former block; see the module docstring.

    Paper: MAE-DFER, "MAE-DFER: Efficient Masked Autoencoder for
    Self-supervised Dynamic Facial Expression Recognition", §3.4,
    eq. 3-14 (docs/papers.md).
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.,
                 qkv_bias: bool = True, drop: float = 0.,
                 attn_drop: float = 0., drop_path: float = 0.,
                 inter: bool = True,
                 interaction: bool = True):
        super().__init__()

        def attn():
            return CrossAttention(dim, num_heads, qkv_bias, attn_drop, drop)

        self.inter = inter
        self.interaction = interaction
        self.first_attn_norm0 = layer_norm(dim)
        self.first_attn = attn()
        if inter:
            self.second_attn_norm0 = layer_norm(dim)
            self.second_attn = attn()
        if interaction:
            self.third_attn_norm0 = layer_norm(dim)
            self.third_attn_norm1 = layer_norm(dim)
            self.third_attn = attn()
        self.drop_path = DropPath(drop_path) if drop_path > 0 \
            else nn.Identity()
        self.norm2 = layer_norm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, m, s, d = x.shape
        # (1) intra-region self-attention, eq. 3-4
        y = self.first_attn(self.first_attn_norm0(x.reshape(b * m, s, d)))
        x = x + self.drop_path(y.reshape(b, m, s, d))
        rep, loc = x[:, :, 0], x[:, :, 1:]
        # (2) inter-region self-attention on representative tokens, eq. 8-9
        if self.inter:
            rep = rep + self.drop_path(
                self.second_attn(self.second_attn_norm0(rep)))
        # (3) local tokens attend to all representative tokens, eq. 10
        if self.interaction:
            flat = loc.reshape(b, m * (s - 1), d)
            flat = flat + self.drop_path(
                self.third_attn(
                    self.third_attn_norm0(flat), self.third_attn_norm1(rep)))
            loc = flat.reshape(b, m, s - 1, d)
        x = torch.cat([rep[:, :, None], loc], dim=2)
        # (4) FFN on all tokens, eq. 11-12
        return x + self.drop_path(self.mlp(self.norm2(x)))
