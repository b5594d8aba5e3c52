"""The masker contract helpers in dfertools/models/maskers/base.py."""
import pytest
import torch

from dfertools.models.maskers.base import BaseMasker, MaskOutput


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


class _Scripted(BaseMasker):
    """Returns whatever ``self.make(tokens, grid)`` builds."""

    def __init__(self, make, **caps):
        super().__init__(0.5)
        self.make = make
        for k, v in caps.items():
            setattr(self, k, v)

    def sample(self, tokens, grid):
        return self.make(tokens, grid)


def _idx(rows):
    return torch.tensor(rows, dtype=torch.long)


def _out(vis, msk, mask, log_prob=None):
    return MaskOutput(_idx(vis), _idx(msk), torch.tensor(mask), log_prob)


GOOD_MASK = [[False, True, False, True]]


@pytest.mark.parametrize('make, match', [
    # overlapping visible / masked sets (shapes and counts are right)
    (lambda t, g: _out([[0, 1]], [[1, 3]], GOOD_MASK), 'partition'),
    # a cover, but not sorted
    (lambda t, g: _out([[2, 0]], [[1, 3]], GOOD_MASK), 'ascending'),
    # indices right, mask wrong
    (lambda t, g: _out([[0, 2]], [[1, 3]], [[True, False, False, True]]),
     'mask disagrees'),
    # ratio 0.5 of 4 tokens is 2 masked, not 1
    (lambda t, g: _out([[0, 1, 2]], [[3]], [[False] * 3 + [True]]),
     r'visible_idx is \(1, 3\).*expected \(1, 2\).*Nm = 2'),
    # wrong dtype
    (lambda t, g: MaskOutput(_idx([[0, 2]]).int(), _idx([[1, 3]]),
                             torch.tensor(GOOD_MASK)), 'visible_idx.*int32'),
    # log_prob without declaring it
    (lambda t, g: _out([[0, 2]], [[1, 3]], GOOD_MASK, torch.zeros(1, 4)),
     'provides_log_prob is False'),
])
def test_forward_refuses_a_broken_sample(make, match):
    with pytest.raises(ValueError, match=match):
        _Scripted(make)(torch.zeros(1, 4, 2), (1, 2, 2))


def test_forward_checks_declared_log_prob_and_the_grid():
    good = _out([[0, 2]], [[1, 3]], GOOD_MASK)
    with pytest.raises(ValueError, match='provides_log_prob is True'):
        _Scripted(lambda t, g: good, provides_log_prob=True)(
            torch.zeros(1, 4, 2), (1, 2, 2))
    with pytest.raises(ValueError, match=r'_Scripted: 4 tokens do not match '
                       r'the grid \(1, 2, 3\)'):
        _Scripted(lambda t, g: good)(torch.zeros(1, 4, 2), (1, 2, 3))
    with pytest.raises(ValueError, match=r'tokens must be \[B, N, D\]'):
        _Scripted(lambda t, g: good)(torch.zeros(4, 2), (1, 2, 2))
    # the well-formed output passes, and sample() sees the grid as ints
    seen = []
    masker = _Scripted(lambda t, g: seen.append(g) or good)
    assert masker(torch.zeros(1, 4, 2), (torch.tensor(1), 2, 2)) is good
    assert seen == [(1, 2, 2)] and all(type(g) is int for g in seen[0])


def test_sample_must_be_written():
    with pytest.raises(NotImplementedError, match='sample'):
        BaseMasker(0.5)(torch.zeros(1, 4, 2), (1, 2, 2))
