"""Maskers: counts, tube structure, per-region counts, HRD sampling (the
contract every masker keeps is test_masker_contract.py, next to this
file)."""
import pytest
import torch

from dfertools.models.maskers import RandomMasker, TubeMasker, TubeWindowMasker
from dfertools.registry import MASKERS


def test_random_masker_counts():
    torch.manual_seed(0)
    tokens = torch.randn(5, 4 * 3 * 3, 8)
    out = MASKERS.build(dict(type='RandomMasker', mask_ratio=0.75))(
        tokens, (4, 3, 3))
    assert out.masked_idx.shape[1] == int(0.75 * 36) and out.log_prob is None
    # different samples get different masks (probability ~1)
    assert not torch.equal(out.mask[0], out.mask[1])


@pytest.mark.parametrize('grid,ratio', [((4, 5, 5), 0.9), ((2, 3, 4), 0.5),
                                        ((8, 10, 10), 0.9)])
def test_tube_masker_identical_slices(grid, ratio):
    torch.manual_seed(1)
    t, h, w = grid
    out = TubeMasker(ratio)(torch.zeros(3, t * h * w, 4), grid)
    m = out.mask.view(3, t, h * w)
    assert (m == m[:, :1]).all(), 'every temporal slice must be identical'
    assert (m.sum(-1) == int(ratio * h * w)).all()


def test_tube_window_masker_equal_counts_per_region():
    torch.manual_seed(2)
    grid, region = (8, 10, 10), (2, 5, 10)
    masker = MASKERS.build(dict(type='TubeWindowMasker', mask_ratio=0.9,
                                region_size=region))
    out = masker(torch.zeros(4, 800, 4), grid)
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


# --- HRD masker (hi2m §3.3) ------------------------------------------------
def _hrd(**kw):
    torch.manual_seed(0)
    kw.setdefault('mask_ratio', 0.75)
    return MASKERS.build(dict(type='HRDMasker', embed_dims=16, num_heads=2,
                              **kw))


def test_hrd_samples_distinct_right_count_and_log_probs():
    """In training the visible tokens are *sampled*: passes over the same
    tokens draw different sets (in eval mode they do not), each of the right
    size without duplicates, with log_prob the log of a distribution."""
    masker = _hrd().train()
    tokens = torch.randn(4, 2 * 3 * 4, 16)
    out = masker(tokens, (2, 3, 4))
    assert out.visible_idx.shape[1] == 24 - int(0.75 * 24)
    for r in range(4):  # no duplicates
        assert len(set(out.visible_idx[r].tolist())) == 6
    p = out.log_prob.exp()
    assert torch.allclose(p.sum(-1), torch.ones(4), atol=1e-5)
    ref = torch.distributions.Categorical(probs=p).log_prob(
        torch.arange(24)[:, None]).T  # [B, N]
    assert torch.allclose(out.log_prob, ref, atol=1e-5)
    # sampling: 6 of 24 tokens, so 20 passes agreeing on all 4 rows would
    # have probability far below 1e-6 for any P this small policy gives
    passes = {tuple(masker(tokens, (2, 3, 4)).visible_idx.flatten().tolist())
              for _ in range(20)}
    assert len(passes) > 1
    masker.eval()
    fixed = {tuple(masker(tokens, (2, 3, 4)).visible_idx.flatten().tolist())
             for _ in range(5)}
    assert len(fixed) == 1


def test_hrd_sampling_follows_p():
    """The masker's first pick in training is Categorical(P): with one
    visible token per sample, its frequencies over 20000 samples of the same
    tokens match P within 5 binomial standard deviations."""
    torch.manual_seed(0)
    masker = _hrd(mask_ratio=7 / 8).train()   # 8 tokens, 1 visible
    with torch.no_grad():   # a policy far from uniform
        masker.head.weight.normal_(0, 1.0)
    n = 20000
    tokens = torch.randn(1, 8, 16).expand(n, -1, -1)
    out = masker(tokens, (2, 2, 2))
    p = out.log_prob[0].exp().double()
    assert torch.allclose(out.log_prob, out.log_prob[:1].expand(n, -1))
    assert p.max() > 2 * p.min()       # the test can tell P from uniform
    assert out.visible_idx.shape == (n, 1)
    counts = torch.bincount(out.visible_idx[:, 0], minlength=8).double()
    sd = (n * p * (1 - p)).sqrt()
    z = (counts - n * p) / sd
    assert z.abs().max() < 5, (counts / n, p)
    # the ordered Gumbel top-k itself: first draws follow P, no repeats
    from dfertools.models.maskers.hrd import gumbel_topk
    two = gumbel_topk(p.float().log().expand(2000, 8), 2)
    assert (two[:, 0] != two[:, 1]).all()


def test_hrd_deterministic_eval_keeps_top_tokens():
    masker = _hrd().eval()
    tokens = torch.randn(2, 24, 16)
    a = masker(tokens, (2, 3, 4))
    b = masker(tokens, (2, 3, 4))
    assert torch.equal(a.visible_idx, b.visible_idx)
    top = a.log_prob.topk(6, dim=-1).indices.sort(-1).values
    assert torch.equal(a.visible_idx, top)


def test_hrd_detaches_input_by_default():
    tokens = torch.randn(2, 24, 16, requires_grad=True)
    _hrd()(tokens, (2, 3, 4)).log_prob.sum().backward()
    assert tokens.grad is None
    tokens2 = torch.randn(2, 24, 16, requires_grad=True)
    _hrd(detach_input=False)(tokens2, (2, 3, 4)).log_prob[:, 0].sum(
    ).backward()
    assert tokens2.grad is not None
