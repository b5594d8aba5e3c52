"""VideoViT: the VideoMAE ViT encoder (MAE-DFER Table 3,
last row; docs/design.md, 'VideoViT').

2x16x16 tubelet embedding, fixed 1-D sinusoid position table computed from
the actual grid (non-persistent buffer), pre-LN blocks with global
space-time self-attention (mae_dfer eq. 5-7; ``F.scaled_dot_product_attention``
by default), ``q_bias`` / ``v_bias`` (VideoMAE layout, so its checkpoints
convert) and drop path.

Deliberate choices (docs/design.md, 'VideoViT'): ``visible_idx`` gathers the
visible tokens
before the blocks (the MAE encoder), never an attention mask; ``final_norm``
is the encoder's last LayerNorm - the contract's default - and fine-tuning
configs switch it off because ``DFERHead`` normalises after pooling (VideoMAE
``use_mean_pooling``: ``norm`` = Identity, ``fc_norm`` after the mean).
"""
from typing import Optional, Sequence, Union

import torch
from torch import nn

from dfertools.registry import MODELS
from ..layers import TransformerBlock, init_vit_weights, layer_norm
from .base_token_backbone import (BaseTokenBackbone, drop_path_schedule,
                                  gather_tokens, resolve_arch)


@MODELS.register_module()
class VideoViT(BaseTokenBackbone):
    """Plain video ViT.

    Paper: VideoMAE, "VideoMAE: Masked Autoencoders are Data-Efficient Learners
    for Self-Supervised Video Pre-Training", the ViT encoder (docs/papers.md).

    Args:
        arch: 'tiny' | 'small' | 'base' | 'large' or a dict with
            ``embed_dims``, ``num_layers``, ``num_heads``.
        img_size, num_frames: the default clip size (pre-computes the
            position table; other sizes work and are computed on demand).
        patch_size, tubelet_size, in_channels: tubelet embedding.
        drop_rate, attn_drop_rate, drop_path_rate: dropouts (drop path rises
            linearly over depth).
        mlp_ratio, qkv_bias, init_values: block options (``init_values > 0``
            enables layer scale).
        final_norm: end ``encode`` with a LayerNorm (contract default).
        out_type: 'tokens' -> ``[B, N, D]``; 'avg' -> ``[B, D]``.
        pretrained: checkpoint path loaded in ``init_weights`` (official
            VideoMAE / mmaction2 / dfertools layouts), missing and
            unexpected keys are logged and kept in ``self.load_report``.
        frozen: no gradients and always eval mode (linear probing).
        train_token_drop: fraction of the tokens left out, at random per
            clip, in training mode when no ``visible_idx`` is given
            (fine-tuning with token dropping); 0 keeps all. Evaluation
            always encodes every token.
    """

    arch_zoo = {
        'tiny': dict(embed_dims=192, num_layers=12, num_heads=3),
        'small': dict(embed_dims=384, num_layers=12, num_heads=6),
        'base': dict(embed_dims=768, num_layers=12, num_heads=12),
        'large': dict(embed_dims=1024, num_layers=24, num_heads=16),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: int = 224,
                 num_frames: int = 16,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 in_channels: int = 3,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 init_values: float = 0.,
                 final_norm: bool = True,
                 out_type: str = 'tokens',
                 pretrained: Optional[str] = None,
                 frozen: bool = False,
                 train_token_drop: float = 0.,
                 init_cfg=None):
        a = resolve_arch(arch, self.arch_zoo, 'VideoViT')
        super().__init__(a['embed_dims'], a['num_layers'], img_size,
                         num_frames, patch_size, tubelet_size, in_channels,
                         out_type, pretrained, frozen, init_cfg,
                         train_token_drop)
        self.num_heads = a['num_heads']
        self.pos_drop = nn.Dropout(drop_rate)
        dpr = drop_path_schedule(drop_path_rate, self.num_layers)
        self.blocks = nn.ModuleList([
            TransformerBlock(self.embed_dims, self.num_heads, mlp_ratio,
                             qkv_bias, drop_rate, attn_drop_rate, dpr[i],
                             init_values)
            for i in range(self.num_layers)
        ])
        self.norm = layer_norm(self.embed_dims) if final_norm else \
            nn.Identity()
        self._finish_init()

    def _init_own_weights(self) -> None:
        init_vit_weights(self)

    def encode(self, tokens: torch.Tensor, grid: Sequence[int],
               visible_idx: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Blocks on the visible tokens (all if ``visible_idx`` is None),
        then the final norm: ``[B, N, D] -> [B, Nv, D]``."""
        x = self.pos_drop(gather_tokens(tokens, visible_idx))
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)
