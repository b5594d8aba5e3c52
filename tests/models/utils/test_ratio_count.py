"""Masked-token counts from a ratio: floor(rho * N) of the decimal rho, not
of its binary approximation (0.7 * 90 = 62.99999999999999 in floating
point), through the helper and every built-in masker."""
import math
from fractions import Fraction

import pytest
import torch

from dfertools.models.utils.ratio_count import floor_near, ratio_floor
from dfertools.registry import MASKERS

RATIOS = [i / 100 for i in range(100)] + [i / 1000 for i in range(0, 1000, 7)]


def _exact(ratio, n):
    """floor of the product of the ratio as written (its shortest repr)."""
    return math.floor(Fraction(repr(ratio)) * n)


def test_seventy_percent_of_ninety_masks_63_and_keeps_27():
    assert 0.7 * 90 < 63 and int(0.7 * 90) == 62   # the float error
    assert ratio_floor(0.7, 90) == 63
    assert 90 - ratio_floor(0.7, 90) == 27


def test_sweep_matches_exact_decimal_arithmetic():
    wrong_with_int = 0
    for ratio in RATIOS:
        for n in range(0, 1001):
            assert ratio_floor(ratio, n) == _exact(ratio, n), (ratio, n)
            wrong_with_int += int(ratio * n) != _exact(ratio, n)
    assert wrong_with_int > 0       # the sweep does reach the float error


def test_thirds_count_as_thirds():
    assert [ratio_floor(1 / 3, n) for n in (3, 6, 90)] == [1, 2, 30]
    assert [ratio_floor(2 / 3, n) for n in (3, 9, 90)] == [2, 6, 60]


def test_floor_near_keeps_genuine_fractions():
    assert floor_near(2.5) == 2 and floor_near(2.999999) == 2
    assert floor_near(2.9999999999) == 3 and floor_near(3.0000000001) == 3
    assert floor_near(-0.5) == -1


def _visible(masker, grid, b=2, dims=16):
    tokens = torch.randn(b, grid[0] * grid[1] * grid[2], dims)
    return masker(tokens, grid).visible_idx.shape[1]


@pytest.mark.parametrize('cfg, grid, visible', [
    (dict(type='RandomMasker'), (1, 9, 10), 27),
    (dict(type='HRDMasker', embed_dims=16, num_heads=2), (1, 9, 10), 27),
    (dict(type='TubeMasker'), (2, 9, 10), 2 * 27),
    (dict(type='FixedTubeMasker'), (2, 9, 10), 2 * 27),
    (dict(type='FixedTubeMasker', pattern='random'), (2, 9, 10), 2 * 27),
    (dict(type='TubeWindowMasker', region_size=(1, 9, 10)), (2, 9, 10),
     2 * 27),
])
def test_every_masker_keeps_27_of_90_at_rho_0_7(cfg, grid, visible):
    torch.manual_seed(0)
    masker = MASKERS.build(dict(cfg, mask_ratio=0.7))
    assert _visible(masker, grid) == visible


@pytest.mark.parametrize('ratio', [0.7, 0.9, 0.3, 0.15, 0.45])
def test_masker_counts_follow_the_sweep(ratio):
    masker = MASKERS.build(dict(type='RandomMasker', mask_ratio=ratio))
    for h, w in [(9, 10), (10, 10), (7, 10), (14, 14), (3, 20)]:
        assert _visible(masker, (1, h, w)) == h * w - _exact(ratio, h * w)
