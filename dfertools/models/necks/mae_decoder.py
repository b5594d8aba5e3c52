"""The MAE decoder (VideoMAE, MAE-DFER §3.1 / §4.2;
docs/design.md, 'MAE decoder').

Encoded visible tokens are projected to the decoder width by a bias-free
Linear; every masked position gets the learnable mask token; all tokens get
the fixed sinusoid table (the backbones' table, computed for the actual
grid); then ``num_layers`` pre-LN transformer blocks (the backbones' block),
a final LayerNorm and a Linear head predicting ``out_channels`` values per
masked token (``2*16*16*3 = 1536``: the whole tubelet for VideoMAE, or the
first frame followed by the frame difference for MAE-DFER / HI2M; mae_dfer
shares the decoder and uses two 768-wide linear heads, which is the same
parameter count as our one 1536-wide head).

The sequence is ``[visible..., masked...]``; attention is permutation
equivariant, so the order only fixes which rows the head reads.
"""
from typing import Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from dfertools.registry import MODELS
from ..backbones.base_token_backbone import gather_tokens
from ..layers import SinusoidPositionEmbedding, TransformerBlock, layer_norm


@MODELS.register_module()
class MAEDecoder(BaseModule):
    """Lightweight MAE decoder.

    Args:
        in_dims (int): encoder width (the pretrainer fills it from the
            backbone's ``embed_dims`` when omitted).
        embed_dims (int): decoder width (384 for ViT-B / LGI-Former-B).
        num_layers (int): decoder blocks (4).
        num_heads (int): attention heads (6).
        out_channels (int): values predicted per masked token.
        mlp_ratio, qkv_bias, drop_path_rate, init_values: block options, as
            in the backbones.
        default_grid (tuple[int]): grid whose position table is
            pre-computed; other grids are computed on demand.
    """

    def __init__(self, in_dims: int = 768, embed_dims: int = 384,
                 num_layers: int = 4, num_heads: int = 6,
                 out_channels: int = 1536, mlp_ratio: float = 4.,
                 qkv_bias: bool = True, drop_path_rate: float = 0.,
                 init_values: float = 0.,
                 default_grid: Sequence[int] = (8, 10, 10), init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.in_dims, self.embed_dims = in_dims, embed_dims
        self.out_channels = out_channels
        self.proj = nn.Linear(in_dims, embed_dims, bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        self.pos_embed = SinusoidPositionEmbedding(embed_dims, default_grid)
        dpr = [drop_path_rate * i / max(num_layers - 1, 1)
               for i in range(num_layers)]
        self.blocks = nn.ModuleList([
            TransformerBlock(embed_dims, num_heads, mlp_ratio, qkv_bias,
                             drop_path=dpr[i], init_values=init_values)
            for i in range(num_layers)
        ])
        self.norm = layer_norm(embed_dims)
        self.head = nn.Linear(embed_dims, out_channels)
        self._init_own_weights()

    def _init_own_weights(self) -> None:
        """VideoMAE's decoder init: Xavier-uniform Linear weights, zero
        biases, unit LayerNorms, mask token ~ N(0, 0.02)."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.trunc_normal_(self.mask_token, std=.02)

    def forward(self, x_vis: torch.Tensor, visible_idx: torch.Tensor,
                masked_idx: torch.Tensor, grid: Sequence[int]) -> torch.Tensor:
        """``x_vis [B, Nv, Din]`` -> predictions ``[B, Nm, out_channels]``
        for the tokens ``masked_idx`` (in that order)."""
        b, nv, _ = x_vis.shape
        nm = masked_idx.shape[1]
        if visible_idx.shape != (b, nv):
            raise ValueError(f'visible_idx {tuple(visible_idx.shape)} does '
                             f'not match the encoded tokens {(b, nv)}')
        x = self.proj(x_vis)
        pos = self.pos_embed.get(grid, x.device, x.dtype)
        if nv + nm != pos.shape[0]:
            raise ValueError(f'{nv} visible + {nm} masked tokens do not fill '
                             f'the grid {tuple(grid)}')
        pos = pos[None].expand(b, -1, -1)
        x = torch.cat([
            x + gather_tokens(pos, visible_idx),
            self.mask_token.to(x.dtype) + gather_tokens(pos, masked_idx)
        ], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x[:, nv:]))
