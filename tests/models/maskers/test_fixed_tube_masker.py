"""FixedTubeMasker: deterministic tube mask for AdaTosk evaluation."""
import pytest
import torch

from dfertools.registry import MASKERS


def _build(ratio, seed=0, pattern='even'):
    return MASKERS.build(dict(type='FixedTubeMasker', mask_ratio=ratio,
                              pattern=pattern, seed=seed))


@pytest.mark.parametrize('pattern', ['even', 'random'])
def test_tube_structure_and_counts(pattern):
    grid = (4, 3, 5)
    tokens = torch.zeros(3, 60, 2)
    out = _build(0.7, pattern=pattern)(tokens, grid)
    assert out.visible_idx.shape == (3, 60 - 4 * int(0.7 * 15))
    mask = out.mask.view(3, 4, 15)
    # same spatial pattern on every slice and for every sample
    assert bool((mask == mask[:1, :1]).all())
    assert int(mask[0, 0].sum()) == int(0.7 * 15)


@pytest.mark.parametrize('pattern', ['even', 'random'])
def test_deterministic_and_independent_of_global_rng(pattern):
    tokens = torch.zeros(2, 40, 2)
    torch.manual_seed(0)
    a = _build(0.5, pattern=pattern)(tokens, (2, 4, 5)).visible_idx
    torch.manual_seed(123)
    b = _build(0.5, pattern=pattern)(tokens, (2, 4, 5)).visible_idx
    assert torch.equal(a, b)
    c = _build(0.5, seed=1, pattern=pattern)(tokens, (2, 4, 5)).visible_idx
    # the seed moves the random pattern only
    assert torch.equal(a, c) == (pattern == 'even')


def test_even_pattern_hand_computed_4x4():
    """4x4 slice, rho 0.7: k = 16 - 11 = 5 kept; rows keep 1, 1, 1, 2
    tokens at floor((j + frac(0.618 r)) * 4 / c_r): columns 0 | 2 | 0 |
    1, 3."""
    keep = ~_build(0.7).spatial_mask(4, 4)
    expected = torch.zeros(4, 4, dtype=torch.bool)
    for r, c in [(0, 0), (1, 2), (2, 0), (3, 1), (3, 3)]:
        expected[r, c] = True
    assert torch.equal(keep.view(4, 4), expected)


@pytest.mark.parametrize('h,w,ratio', [(4, 4, 0.7), (8, 8, 0.7),
                                       (10, 10, 0.9), (14, 14, 0.7),
                                       (4, 5, 0.5), (3, 7, 0.3)])
def test_even_pattern_covers_every_row_and_spreads_columns(h, w, ratio):
    keep = (~_build(ratio).spatial_mask(h, w)).view(h, w)
    k = h * w - int(ratio * h * w)
    assert int(keep.sum()) == k
    per_row = keep.sum(1)
    assert int(per_row.max() - per_row.min()) <= 1  # rows balanced
    if k >= h:
        assert bool((per_row > 0).all())  # no row left blind
    # columns used in proportion: none holds more than its share + 1 row
    per_col = keep.sum(0)
    assert int(per_col.max()) <= -(-k // w) + 1 + h // 4


def test_unknown_pattern_is_refused():
    with pytest.raises(ValueError, match='pattern'):
        _build(0.7, pattern='grid')


def test_ratio_zero_keeps_everything():
    out = _build(0.0)(torch.zeros(2, 40, 2), (2, 4, 5))
    assert torch.equal(out.visible_idx, torch.arange(40).expand(2, 40))
    assert out.masked_idx.shape == (2, 0)
