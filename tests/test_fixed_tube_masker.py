"""FixedTubeMasker: deterministic tube mask for AdaTosk evaluation."""
import pytest
import torch

from dfertools.registry import MASKERS


def _build(ratio, seed=0):
    return MASKERS.build(dict(type='FixedTubeMasker', mask_ratio=ratio,
                              seed=seed))


def test_tube_structure_and_counts():
    grid = (4, 3, 5)
    tokens = torch.zeros(3, 60, 2)
    out = _build(0.7)(tokens, grid)
    assert out.visible_idx.shape == (3, 60 - 4 * int(0.7 * 15))
    mask = out.mask.view(3, 4, 15)
    # same spatial pattern on every slice and for every sample
    assert bool((mask == mask[:1, :1]).all())
    assert int(mask[0, 0].sum()) == int(0.7 * 15)
    # indices sorted and consistent with the mask
    assert bool((out.visible_idx.diff(dim=1) > 0).all())
    assert not bool(out.mask.gather(1, out.visible_idx).any())
    assert bool(out.mask.gather(1, out.masked_idx).all())


def test_deterministic_and_independent_of_global_rng():
    tokens = torch.zeros(2, 40, 2)
    torch.manual_seed(0)
    a = _build(0.5)(tokens, (2, 4, 5)).visible_idx
    torch.manual_seed(123)
    b = _build(0.5)(tokens, (2, 4, 5)).visible_idx
    assert torch.equal(a, b)
    c = _build(0.5, seed=1)(tokens, (2, 4, 5)).visible_idx
    assert not torch.equal(a, c)


def test_ratio_zero_keeps_everything_and_grid_check():
    out = _build(0.0)(torch.zeros(2, 40, 2), (2, 4, 5))
    assert torch.equal(out.visible_idx, torch.arange(40).expand(2, 40))
    assert out.masked_idx.shape == (2, 0)
    with pytest.raises(ValueError, match='grid'):
        _build(0.5)(torch.zeros(2, 41, 2), (2, 4, 5))
