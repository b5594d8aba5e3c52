"""LGIFormer: MAE-DFER's local-global interaction Transformer (MAE-DFER
§3.4; docs/design.md, 'LGI-Former').

Tubelet embedding and sinusoid table as VideoViT; then the tokens are cut into
``region_size`` (default 2x5x10 on the 8x10x10 grid of a 16x160x160 clip ->
M = 8) regions, a learnable representative token (``lg_region_tokens``,
[M, D]) is prepended to each region, and the stack of :class:`LGIBlock`
runs (eq. 3-14). Sizes (mae_dfer §4.2, Table 9; depth 16 for every size, as
the 21.5 / 47.9 / 84.9 M parameter counts imply): tiny 256-d / 4 heads,
small 384-d / 6 heads, base 512-d / 8 heads.

Deliberate choices (docs/design.md, 'LGI-Former'):

* ``visible_idx`` gathers tokens (no attention mask); each region must hold
  the same number of visible tokens (asserted with a clear error).
* ``encode`` returns the local tokens in natural (t, h, w) order - the order
  of ``visible_idx`` - not in region order (the reference hands region order
  to its decoder and permutes the decoder position table instead).
* ``final_norm`` as VideoViT (fine-tuning configs switch it off; the head
  normalises after pooling, as the reference's ``fc_norm``).
"""
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import nn

from dfertools.registry import MODELS
from ..layers import LGIBlock, init_vit_weights, layer_norm
from .base_token_backbone import (BaseTokenBackbone, drop_path_schedule,
                                  gather_tokens, resolve_arch)
from .lgi_regions import (check_region_grid, full_region_order, partition,
                          region_order, unpartition)


@MODELS.register_module()
class LGIFormer(BaseTokenBackbone):
    """MAE-DFER's local-global interaction Transformer (LGI-Former).

    Paper: MAE-DFER, "MAE-DFER: Efficient Masked Autoencoder for
    Self-supervised Dynamic Facial Expression Recognition", §3.4, eq. 3-14
    (docs/papers.md).

    Args as :class:`VideoViT`, plus:

    Args:
        region_size: ``(t, h, w)`` of a local region in tokens.
        inter: global inter-region self-attention (Table 3 ablation).
        interaction: local-global cross-attention (Table 3 ablation).
        out_type: 'tokens' (local tokens ``[B, Nv, D]``), 'rep'
            (representative tokens ``[B, M, D]``) or 'avg' (mean of the
            local tokens ``[B, D]``).
        train_token_drop: as :class:`VideoViT`, drawn region by region:
            every region drops ``floor(train_token_drop * region tokens)``
            of its tokens (the regions need equal visible counts).
    """

    OUT_TYPES = ('tokens', 'rep', 'avg')
    arch_zoo = {
        'tiny': dict(embed_dims=256, num_layers=16, num_heads=4),
        'small': dict(embed_dims=384, num_layers=16, num_heads=6),
        'base': dict(embed_dims=512, num_layers=16, num_heads=8),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: int = 160,
                 num_frames: int = 16,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 in_channels: int = 3,
                 region_size: Sequence[int] = (2, 5, 10),
                 inter: bool = True,
                 interaction: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 final_norm: bool = True,
                 out_type: str = 'tokens',
                 pretrained: Optional[str] = None,
                 frozen: bool = False,
                 train_token_drop: float = 0.,
                 init_cfg=None):
        a = resolve_arch(arch, self.arch_zoo, 'LGIFormer')
        super().__init__(a['embed_dims'], a['num_layers'], img_size,
                         num_frames, patch_size, tubelet_size, in_channels,
                         out_type, pretrained, frozen, init_cfg,
                         train_token_drop)
        self.num_heads = a['num_heads']
        self.region_size = tuple(int(r) for r in region_size)
        counts = check_region_grid(self.default_grid, self.region_size)
        self.num_regions = counts[0] * counts[1] * counts[2]
        self.lg_region_tokens = nn.Parameter(
            torch.zeros(self.num_regions, self.embed_dims))
        self.pos_drop = nn.Dropout(drop_rate)
        dpr = drop_path_schedule(drop_path_rate, self.num_layers)
        self.blocks = nn.ModuleList([
            LGIBlock(self.embed_dims, self.num_heads, mlp_ratio, qkv_bias,
                     drop_rate, attn_drop_rate, dpr[i], inter,
                     interaction) for i in range(self.num_layers)
        ])
        self.norm = layer_norm(self.embed_dims) if final_norm else \
            nn.Identity()
        self._finish_init()

    def _init_own_weights(self) -> None:
        init_vit_weights(self)
        nn.init.trunc_normal_(self.lg_region_tokens, std=.02)

    def training_subset(self, tokens: torch.Tensor, grid: Sequence[int]
                        ) -> Optional[torch.Tensor]:
        """The base class's uniform draw, made within each region so that
        every region keeps the same number of tokens."""
        order = full_region_order(grid, self.region_size, tokens.device)
        per_region = order.numel() // self.num_regions
        b = tokens.shape[0]
        keep = self.random_keep(b * self.num_regions, per_region,
                                tokens.device)
        if keep is None:
            return None
        # region-major (region, position in region) -> flat token index
        keep = keep.view(b, self.num_regions, -1) + per_region * torch.arange(
            self.num_regions, device=tokens.device)[:, None]
        return order[keep.view(b, -1)].sort(dim=1).values

    def encode_all(self, tokens: torch.Tensor, grid: Sequence[int],
                   visible_idx: Optional[torch.Tensor] = None
                   ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(local [B, Nv, D] in natural order, rep [B, M, D])``, both
        through the final norm."""
        b = tokens.shape[0]
        counts = check_region_grid(grid, self.region_size)
        if counts[0] * counts[1] * counts[2] != self.num_regions:
            raise ValueError(
                f'LGIFormer: grid {tuple(grid)} gives '
                f'{counts[0] * counts[1] * counts[2]} regions of '
                f'{self.region_size}, but the model has {self.num_regions} '
                'representative tokens (set img_size / num_frames to the '
                'clip size used).')
        if visible_idx is None:  # fixed permutation of the full grid
            perm = full_region_order(grid, self.region_size,
                                     tokens.device).expand(b, -1)
        else:
            if visible_idx.ndim != 2 or visible_idx.shape[0] != b:
                raise ValueError(
                    f'visible_idx must be [B, Nv] with B = {b}, got shape '
                    f'{tuple(visible_idx.shape)}.')
            visible_idx = visible_idx.to(tokens.device, torch.long)
            perm = region_order(visible_idx, grid, self.region_size)
        x = partition(
            self.pos_drop(gather_tokens(tokens, visible_idx)), perm,
            self.num_regions)
        rep = self.lg_region_tokens.to(x.dtype)[None, :, None].expand(
            b, -1, -1, -1)
        x = torch.cat([rep, x], dim=2)
        for blk in self.blocks:
            x = blk(x)
        local = unpartition(x[:, :, 1:], perm)
        return self.norm(local), self.norm(x[:, :, 0])

    def encode(self, tokens: torch.Tensor, grid: Sequence[int],
               visible_idx: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Local tokens ``[B, Nv, D]`` in the order of ``visible_idx``."""
        return self.encode_all(tokens, grid, visible_idx)[0]

    def forward(self, x: torch.Tensor,
                visible_idx: Optional[torch.Tensor] = None) -> torch.Tensor:
        tokens, grid = self.embed(x)
        visible_idx = self.visible_for(tokens, grid, visible_idx)
        local, rep = self.encode_all(tokens, grid, visible_idx)
        return rep if self.out_type == 'rep' else self.pool(local)
