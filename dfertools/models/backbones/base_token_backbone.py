"""Shared machinery of the token backbones (VideoViT, LGIFormer).

Implements the backbone contract of docs/developer_guide.md: ``embed``,
``encode``, ``forward``, ``embed_dims``, ``num_layers`` and
``get_layer_depth``; token gathering for ``visible_idx`` (a gather, never an
attention mask); token dropping in training (``train_token_drop``: a
random subset of the tokens is encoded when fine-tuning, as FLIP, "Scaling
Language-Image Pre-training via Masking", drops image patches - cheaper
steps, and evaluation still sees every token); and loading of
``pretrained`` weights with a report of missing / unexpected keys.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule

from ..layers import SinusoidPositionEmbedding, TubeletEmbed
from ..maskers.base import BaseMasker
from ..maskers.random import random_subset_mask
from ..utils.ratio_count import ratio_floor


def gather_tokens(tokens: torch.Tensor,
                  idx: Optional[torch.Tensor]) -> torch.Tensor:
    """``tokens[b, idx[b]]`` for ``[B, N, D]`` tokens and ``[B, Nv]`` idx."""
    if idx is None:
        return tokens
    if idx.ndim != 2 or idx.shape[0] != tokens.shape[0]:
        raise ValueError(
            f'visible_idx must be [B, Nv] with B = {tokens.shape[0]}, got '
            f'shape {tuple(idx.shape)}.')
    idx = idx.to(device=tokens.device, dtype=torch.long)
    return tokens.gather(1, idx[..., None].expand(-1, -1, tokens.shape[-1]))


def drop_path_schedule(rate: float, depth: int) -> list:
    """Drop-path rate rising linearly from 0 to ``rate`` over ``depth``."""
    if depth <= 1:
        return [0.] * depth
    return [rate * i / (depth - 1) for i in range(depth)]


def resolve_arch(arch, zoo: dict, owner: str) -> dict:
    """``arch`` is a key of ``zoo`` or a dict with the same keys."""
    if isinstance(arch, str):
        if arch not in zoo:
            raise ValueError(f'{owner}: unknown arch {arch!r}; choose one of '
                             f'{sorted(zoo)} or pass a dict with keys '
                             f'{sorted(next(iter(zoo.values())))}.')
        return dict(zoo[arch])
    if isinstance(arch, dict):
        need = set(next(iter(zoo.values())))
        missing = need - set(arch)
        if missing:
            raise ValueError(f'{owner}: arch dict lacks {sorted(missing)}.')
        return dict(arch)
    raise TypeError(f'{owner}: arch must be a str or dict, got {type(arch)}')


class BaseTokenBackbone(BaseModule):
    """Tubelet embedding + sinusoid table + contract plumbing.

    Subclasses build ``self.blocks`` (a ModuleList) and implement
    ``encode``.
    """

    OUT_TYPES: Tuple[str, ...] = ('tokens', 'avg')

    def __init__(self, embed_dims: int, num_layers: int, img_size: int,
                 num_frames: int, patch_size: int, tubelet_size: int,
                 in_channels: int, out_type: str,
                 pretrained: Optional[str], frozen: bool = False,
                 init_cfg=None, train_token_drop: float = 0.):
        super().__init__(init_cfg=init_cfg)
        if not 0. <= train_token_drop < 1.:
            raise ValueError(f'{type(self).__name__}: train_token_drop must '
                             f'be in [0, 1), got {train_token_drop!r}.')
        self.train_token_drop = train_token_drop
        if out_type not in self.OUT_TYPES:
            raise ValueError(f'{type(self).__name__}: out_type must be one of'
                             f' {self.OUT_TYPES}, got {out_type!r}.')
        if pretrained is not None and not isinstance(pretrained, str):
            raise TypeError(f'{type(self).__name__}: pretrained must be a '
                            f'checkpoint path or None, got {pretrained!r}.')
        self.embed_dims = embed_dims
        self.num_layers = num_layers
        self.out_type = out_type
        self.pretrained = pretrained
        self.frozen = frozen
        self.load_report = None
        self.patch_embed = TubeletEmbed(in_channels, embed_dims, patch_size,
                                        tubelet_size)
        self.default_grid = self.patch_embed.grid_for(num_frames, img_size,
                                                      img_size)
        self.pos_embed = SinusoidPositionEmbedding(embed_dims,
                                                   self.default_grid)

    # --- contract -------------------------------------------------------
    def embed(self, x: torch.Tensor):
        """``[B, C, T, H, W] -> ([B, N, D], grid)`` with the table added."""
        tokens, grid = self.patch_embed(x)
        return self.pos_embed(tokens, grid), grid

    def encode(self, tokens: torch.Tensor, grid: Sequence[int],
               visible_idx: Optional[torch.Tensor] = None) -> torch.Tensor:
        raise NotImplementedError

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        """Apply ``out_type`` to encoded ``[B, N, D]`` tokens."""
        return x.mean(1) if self.out_type == 'avg' else x

    def training_subset(self, tokens: torch.Tensor, grid: Sequence[int]
                        ) -> Optional[torch.Tensor]:
        """``[B, Nk]`` indices (ascending) of the tokens to encode in
        training mode when no ``visible_idx`` is given: all but
        ``floor(train_token_drop * N)`` drawn uniformly at random per clip
        (the random masker's draw); None (all of them) when that is 0."""
        return self.random_keep(tokens.shape[0], tokens.shape[1],
                                tokens.device)

    def random_keep(self, rows: int, n: int, device
                    ) -> Optional[torch.Tensor]:
        """``[rows, n - floor(train_token_drop * n)]`` ascending indices
        kept out of ``n`` per row (the random masker's draw), or None when
        nothing is dropped."""
        n_drop = ratio_floor(self.train_token_drop, n)
        if n_drop == 0:
            return None
        mask = random_subset_mask(rows, n, n_drop, device)
        return BaseMasker.from_mask(mask, n_masked=n_drop).visible_idx

    def visible_for(self, tokens: torch.Tensor, grid: Sequence[int],
                    visible_idx: Optional[torch.Tensor]
                    ) -> Optional[torch.Tensor]:
        """``visible_idx`` if given, else the training subset in training
        mode (None, all tokens, otherwise)."""
        if visible_idx is None and self.training:
            return self.training_subset(tokens, grid)
        return visible_idx

    def forward(self, x: torch.Tensor,
                visible_idx: Optional[torch.Tensor] = None) -> torch.Tensor:
        tokens, grid = self.embed(x)
        visible_idx = self.visible_for(tokens, grid, visible_idx)
        return self.pool(self.encode(tokens, grid, visible_idx))

    def get_layer_depth(self, param_name: str, prefix: str = ''):
        """``(layer_id, max_layer_id)`` for layer-wise lr decay: patch
        embedding 0, block ``i`` -> ``i + 1``, everything else (final norm,
        representative tokens, head) -> ``num_layers + 1``."""
        max_layer_id = self.num_layers + 1
        name = param_name
        if prefix:
            if not name.startswith(prefix):
                return max_layer_id, max_layer_id
            name = name[len(prefix):]
        if name.startswith(('patch_embed.', 'pos_embed')):
            return 0, max_layer_id
        if name.startswith('blocks.'):
            return int(name.split('.')[1]) + 1, max_layer_id
        return max_layer_id, max_layer_id

    # --- weights --------------------------------------------------------
    def _init_own_weights(self) -> None:
        raise NotImplementedError

    def _finish_init(self) -> None:
        """Subclasses call this last: random init, then freezing."""
        self._init_own_weights()
        if self.frozen:
            for p in self.parameters():
                p.requires_grad_(False)
            self.train(False)

    def train(self, mode: bool = True):
        """A frozen backbone (linear probing) always stays in eval mode."""
        return super().train(mode and not getattr(self, 'frozen', False))

    def init_weights(self) -> None:
        """Random init, then ``pretrained`` (if given) with a key report."""
        super().init_weights()
        self._init_own_weights()
        if self.pretrained is not None:
            from ..utils import load_pretrained_backbone
            self.load_report = load_pretrained_backbone(self, self.pretrained)
