"""Fixed 1-D sinusoid position table (VideoMAE), computed from the grid.

For flat token index ``p`` (tokens in (t, h, w) order) and channel ``j``::

    angle(p, j) = p / 10000 ** (2 * (j // 2) / D)
    table[p, j] = sin(angle) if j is even else cos(angle)

Deliberate choice (docs/design.md, 'VideoViT'): the table is a non-persistent
buffer computed
for the actual input grid, so it never enters a state dict and any frame count
or frame size works; tables for grids other than the default are cached.
"""
from functools import lru_cache
from typing import Sequence

import torch
from torch import nn


@lru_cache(maxsize=32)
def _table_cpu(num_positions: int, dim: int) -> torch.Tensor:
    # explicit device: under a `torch.device('meta')` context (models built
    # for FLOP counting) factories would otherwise make meta tensors, and
    # the cache would hand them to every later real model
    cpu = torch.device('cpu')
    pos = torch.arange(num_positions, dtype=torch.float64, device=cpu)[:, None]
    j = torch.arange(dim, device=cpu)
    inv = torch.pow(torch.tensor(10000., dtype=torch.float64, device=cpu),
                    (2 * (j // 2)).double() / dim)
    angle = pos / inv
    table = torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))
    return table.float()


def sinusoid_table(num_positions: int, dim: int) -> torch.Tensor:
    """``[num_positions, dim]`` float32 table (a fresh copy on the CPU)."""
    return _table_cpu(int(num_positions), int(dim)).clone()


def grid_numel(grid: Sequence[int]) -> int:
    n = 1
    for g in grid:
        n *= int(g)
    return n


class SinusoidPositionEmbedding(nn.Module):
    """Adds the table to ``[B, N, D]`` tokens laid out on ``grid``.

    ``default_grid`` only pre-computes the buffer; other grids are computed
    (and cached) on first use.
    """

    def __init__(self, dim: int, default_grid: Sequence[int]):
        super().__init__()
        self.dim = dim
        self.default_grid = tuple(int(g) for g in default_grid)
        self.register_buffer(
            'table', sinusoid_table(grid_numel(self.default_grid), dim),
            persistent=False)

    def get(self, grid: Sequence[int], device=None,
            dtype=None) -> torch.Tensor:
        """``[N, D]`` table for ``grid``."""
        n = grid_numel(grid)
        table = self.table if n == self.table.shape[0] else sinusoid_table(
            n, self.dim)
        return table.to(device=device or self.table.device,
                        dtype=dtype or self.table.dtype)

    def forward(self, tokens: torch.Tensor,
                grid: Sequence[int]) -> torch.Tensor:
        if tokens.shape[1] != grid_numel(grid):
            raise ValueError(
                f'SinusoidPositionEmbedding: {tokens.shape[1]} tokens do not '
                f'fill the grid {tuple(grid)}.')
        return tokens + self.get(grid, tokens.device, tokens.dtype)

    def extra_repr(self) -> str:
        return f'dim={self.dim}, default_grid={self.default_grid}'
