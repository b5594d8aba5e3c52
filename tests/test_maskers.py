"""Maskers: contract, tube structure, per-region counts, HRD sampling."""
import pytest
import torch

from dfertools.models.maskers import RandomMasker, TubeMasker, TubeWindowMasker
from dfertools.registry import MASKERS


def _check_contract(out, b, n):
    nv, nm = out.visible_idx.shape[1], out.masked_idx.shape[1]
    assert out.visible_idx.shape[0] == out.masked_idx.shape[0] == b
    assert nv + nm == n and out.mask.shape == (b, n)
    assert out.mask.dtype == torch.bool
    for r in range(b):
        vis, msk = out.visible_idx[r].tolist(), out.masked_idx[r].tolist()
        assert vis == sorted(vis) and msk == sorted(msk)
        assert sorted(vis + msk) == list(range(n))
        assert not out.mask[r, vis].any() and out.mask[r, msk].all()


def test_random_masker_counts_and_contract():
    torch.manual_seed(0)
    tokens = torch.randn(5, 4 * 3 * 3, 8)
    out = MASKERS.build(dict(type='RandomMasker', mask_ratio=0.75))(
        tokens, (4, 3, 3))
    _check_contract(out, 5, 36)
    assert out.masked_idx.shape[1] == int(0.75 * 36) and out.log_prob is None
    # different samples get different masks (probability ~1)
    assert not torch.equal(out.mask[0], out.mask[1])


@pytest.mark.parametrize('grid,ratio', [((4, 5, 5), 0.9), ((2, 3, 4), 0.5),
                                        ((8, 10, 10), 0.9)])
def test_tube_masker_identical_slices(grid, ratio):
    torch.manual_seed(1)
    t, h, w = grid
    out = TubeMasker(ratio)(torch.zeros(3, t * h * w, 4), grid)
    _check_contract(out, 3, t * h * w)
    m = out.mask.view(3, t, h * w)
    assert (m == m[:, :1]).all(), 'every temporal slice must be identical'
    assert (m.sum(-1) == int(ratio * h * w)).all()


def test_tube_masker_rejects_wrong_grid():
    with pytest.raises(ValueError, match='grid'):
        TubeMasker(0.9)(torch.zeros(1, 10, 4), (2, 2, 2))


def test_tube_window_masker_equal_counts_per_region():
    torch.manual_seed(2)
    grid, region = (8, 10, 10), (2, 5, 10)
    masker = MASKERS.build(dict(type='TubeWindowMasker', mask_ratio=0.9,
                                region_size=region))
    out = masker(torch.zeros(4, 800, 4), grid)
    _check_contract(out, 4, 800)
    m = out.mask.view(4, 8, 10, 10)
    assert (m == m[:, :1]).all()  # a tube
    # cut into the 8 regions of 2x5x10 and count the visible tokens
    reg = (~m).view(4, 4, 2, 2, 5, 1, 10).sum(dim=(2, 4, 6))
    assert (reg == 2 * (50 - int(0.9 * 50))).all()


def test_tube_window_masker_small_regions_and_bad_grid():
    torch.manual_seed(3)
    out = TubeWindowMasker(0.5, region_size=(1, 2, 2))(
        torch.zeros(2, 2 * 4 * 4, 4), (2, 4, 4))
    reg = (~out.mask).view(2, 2, 1, 2, 2, 2, 2).sum(dim=(2, 4, 6))
    assert (reg == 2).all()
    with pytest.raises(ValueError, match='region_size'):
        TubeWindowMasker(0.5, region_size=(2, 3, 3))(
            torch.zeros(1, 2 * 4 * 4, 4), (2, 4, 4))
