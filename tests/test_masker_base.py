"""The masker contract helpers in dfertools/models/maskers/base.py."""
import pytest
import torch

from dfertools.models.maskers.base import BaseMasker


def test_from_mask_sorted_indices_partition_tokens():
    g = torch.Generator().manual_seed(0)
    scores = torch.rand(3, 10, generator=g)
    mask = torch.zeros(3, 10, dtype=torch.bool)
    mask.scatter_(1, scores.topk(7, dim=1).indices, True)
    out = BaseMasker.from_mask(mask)
    assert out.visible_idx.shape == (3, 3) and out.masked_idx.shape == (3, 7)
    for b in range(3):
        vis = out.visible_idx[b].tolist()
        msk = out.masked_idx[b].tolist()
        assert vis == sorted(vis) and msk == sorted(msk)
        assert sorted(vis + msk) == list(range(10))
        assert not mask[b, vis].any() and mask[b, msk].all()


def test_from_visible_round_trip_and_unequal_counts_rejected():
    vis = torch.tensor([[4, 1], [0, 9]])
    out = BaseMasker.from_visible(vis, 10)
    assert out.visible_idx.tolist() == [[1, 4], [0, 9]]
    bad = torch.zeros(2, 4, dtype=torch.bool)
    bad[0, 0] = True
    with pytest.raises(ValueError, match='same number'):
        BaseMasker.from_mask(bad)


def test_mask_ratio_validated():
    with pytest.raises(ValueError):
        BaseMasker(1.0)
    assert BaseMasker(0.9).num_masked(200) == 180
