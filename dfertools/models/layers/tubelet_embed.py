"""Tubelet (cube) embedding: Conv3d with kernel = stride =
``tubelet_size x patch_size x patch_size`` (2x16x16 by default)."""
from typing import Tuple

import torch
from torch import nn


class TubeletEmbed(nn.Module):
    """``[B, C, T, H, W] -> ([B, N, D], grid)``, tokens in (t, h, w) order.

    Key layout ``proj.{weight,bias}`` (VideoMAE's ``patch_embed.proj``).
    """

    def __init__(self, in_channels: int = 3, embed_dims: int = 768,
                 patch_size: int = 16, tubelet_size: int = 2):
        super().__init__()
        self.patch_size = int(patch_size)
        self.tubelet_size = int(tubelet_size)
        kernel = (self.tubelet_size, self.patch_size, self.patch_size)
        self.proj = nn.Conv3d(in_channels, embed_dims, kernel_size=kernel,
                              stride=kernel)

    def grid_for(self, t: int, h: int, w: int) -> Tuple[int, int, int]:
        """The token grid ``(T', H', W')`` of a ``T x H x W`` clip."""
        return (t // self.tubelet_size, h // self.patch_size,
                w // self.patch_size)

    def forward(self, x: torch.Tensor):
        if x.ndim != 5:
            raise ValueError(
                f'TubeletEmbed expects [B, C, T, H, W] clips, got shape '
                f'{tuple(x.shape)}; use format_shape="NCTHW" in the data '
                f'preprocessor.')
        _, c, t, h, w = x.shape
        if (t % self.tubelet_size or h % self.patch_size
                or w % self.patch_size):
            raise ValueError(
                f'TubeletEmbed: clip {t}x{h}x{w} (T x H x W) is not divisible'
                f' by the tubelet {self.tubelet_size}x{self.patch_size}x'
                f'{self.patch_size}; change the clip length or crop size in '
                f'the pipeline.')
        if c != self.proj.in_channels:
            raise ValueError(f'TubeletEmbed: expected {self.proj.in_channels}'
                             f' channels, got {c}.')
        x = self.proj(x)
        grid = tuple(x.shape[2:])
        return x.flatten(2).transpose(1, 2), grid
