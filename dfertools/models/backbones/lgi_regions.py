"""Region partition of LGI-Former tokens (mae_dfer §3.4) and its inverse.

A ``(T', H', W')`` grid is cut into non-overlapping ``t x h x w`` regions,
numbered in (nt, nh, nw) order; inside a region tokens keep (t, h, w) order
(as MAE-DFER's ``'b (nt t nh h nw w) c -> b (nt nh nw) (t h w) c'``).
Visible-token subsets are partitioned the same way, which needs an equal
number of visible tokens per region (the tube-window masker's guarantee).
"""
from functools import lru_cache
from typing import Sequence, Tuple

import torch


def check_region_grid(grid: Sequence[int],
                      region_size: Sequence[int]) -> Tuple[int, int, int]:
    """``(nt, nh, nw)`` region counts; clear error if not divisible."""
    if any(g % r for g, r in zip(grid, region_size)):
        raise ValueError(
            f'LGIFormer: token grid {tuple(grid)} is not divisible by '
            f'region_size {tuple(region_size)}; choose a region_size that '
            'divides the grid (T/2, H/16, W/16) or change the clip size.')
    return tuple(g // r for g, r in zip(grid, region_size))


@lru_cache(maxsize=32)
def _region_of(grid: Tuple[int, int, int],
               region_size: Tuple[int, int, int]) -> torch.Tensor:
    nt, nh, nw = check_region_grid(grid, region_size)
    t, h, w = (torch.arange(g) for g in grid)
    rt = (t // region_size[0])[:, None, None]
    rh = (h // region_size[1])[None, :, None]
    rw = (w // region_size[2])[None, None, :]
    return ((rt * nh + rh) * nw + rw).reshape(-1)


def region_of(grid: Sequence[int], region_size: Sequence[int],
              device=None) -> torch.Tensor:
    """``[N]`` region index of every flat token index of ``grid``."""
    return _region_of(tuple(int(g) for g in grid),
                      tuple(int(r) for r in region_size)).to(device)


@lru_cache(maxsize=32)
def _full_order(grid, region_size) -> torch.Tensor:
    return _region_of(grid, region_size).argsort(stable=True)


def full_region_order(grid: Sequence[int], region_size: Sequence[int],
                      device=None) -> torch.Tensor:
    """``[N]`` region order of a complete grid (what :func:`region_order`
    returns for ``idx = arange(N)``), without data-dependent checks."""
    return _full_order(tuple(int(g) for g in grid),
                       tuple(int(r) for r in region_size)).to(device)


def region_order(idx: torch.Tensor, grid: Sequence[int],
                 region_size: Sequence[int]) -> torch.Tensor:
    """Permutation ``perm [B, Nv]`` putting the tokens ``idx [B, Nv]`` (flat
    indices) region by region, each region in (t, h, w) order; then
    ``idx.gather(1, perm).view(B, M, Nv // M)`` lists each region's tokens.

    Raises if some sample has unequal visible counts across regions.
    """
    rid = region_of(grid, region_size, idx.device)[idx]  # [B, Nv]
    num_regions = 1
    for n in check_region_grid(grid, region_size):
        num_regions *= n
    b, nv = idx.shape
    counts = torch.zeros(b, num_regions, dtype=torch.long,
                         device=idx.device).scatter_add_(
                             1, rid, torch.ones_like(rid))
    if nv % num_regions or bool((counts != nv // num_regions).any()):
        raise ValueError(
            'LGIFormer needs an equal number of visible tokens in each of its'
            f' {num_regions} regions (region_size {tuple(region_size)} on '
            f'grid {tuple(grid)}); got per-region counts '
            f'{counts[:2].tolist()} (first samples). Use TubeWindowMasker '
            'with the same region size, or a masking ratio that leaves a '
            'whole number of tokens per region.')
    total = 1
    for g in grid:
        total *= int(g)
    return (rid * total + idx).argsort(dim=1)


def partition(x: torch.Tensor, perm: torch.Tensor,
              num_regions: int) -> torch.Tensor:
    """``[B, Nv, D] -> [B, M, Nv // M, D]`` along ``perm``."""
    b, nv, d = x.shape
    x = x.gather(1, perm[..., None].expand(-1, -1, d))
    return x.reshape(b, num_regions, nv // num_regions, d)


def unpartition(x: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`partition`: ``[B, M, n, D] -> [B, M*n, D]`` in the
    original order."""
    b, m, n, d = x.shape
    inv = perm.argsort(dim=1)
    return x.reshape(b, m * n, d).gather(1, inv[..., None].expand(-1, -1, d))
