"""AdaTosk soft masks (eq. 4-12) against independent loop/numpy references."""
import math

import numpy as np
import pytest
import torch

from dfertools.models.soft_masks import (AdaptiveTemporalSoftMask,
                                         ClassAgnosticSoftMask,
                                         ClassSemanticSoftMask)
from dfertools.registry import MODELS


def _np(t):
    return t.detach().double().numpy()


# --------------------------------------------------------------------------
# independent references (plain loops over numpy arrays)
# --------------------------------------------------------------------------
def ref_agnostic(E, w1, b1, w2, b2, top_k, distance='l1'):
    """eq. 4-7 for one sample E [n_t, n_s, D]; returns (S, active)."""
    n_t, n_s, D = E.shape
    f = np.zeros((n_t, D))
    for t in range(n_t):
        for s in range(n_s):
            f[t] += E[t, s]
        f[t] /= n_s
    tau = []
    for t in range(1, n_t):
        diff = f[t] - f[t - 1]
        if distance == 'l1':
            tau.append(sum(abs(v) for v in diff))
        elif distance == 'l2':
            tau.append(math.sqrt(sum(v * v for v in diff)))
        else:
            cos = f[t] @ f[t - 1] / (np.linalg.norm(f[t]) *
                                     np.linalg.norm(f[t - 1]))
            tau.append(1 - cos)
    order = sorted(range(len(tau)), key=lambda i: -tau[i])
    active = sorted(i + 1 for i in order[:min(top_k, n_t - 1)])
    x_bar = np.zeros(D)
    for t in active:
        h = np.maximum(w1 @ f[t] + b1, 0)
        z = w2 @ h + b2
        e = np.exp(z - z.max())
        x_bar += (e / e.sum()) * f[t] + f[t]
    x_bar /= len(active)
    S = np.zeros_like(E)
    n_vis = n_t * n_s
    for d in range(D):
        denom = sum(math.exp(E[t, s, d] * x_bar[d]) for t in range(n_t)
                    for s in range(n_s))
        for t in range(n_t):
            for s in range(n_s):
                S[t, s, d] = n_vis * math.exp(E[t, s, d] * x_bar[d]) / denom
    return S, active


def ref_accumulative(E, W, bias, r):
    """eq. 8-9 for one sample; column-stochastic transition."""
    n_t, n_s, _ = E.shape
    F = np.einsum('tsd,kd->tsk', E, W) + bias
    dim = F.shape[-1]
    M = np.zeros((n_t, n_s))
    M[0] = 1.0 / n_s
    for t in range(n_t - 1):
        # top-r by score, ties -> lowest index first
        ranked = sorted(range(n_s), key=lambda s: (-M[t, s], s))
        keep = sorted(ranked[r:])
        nxt = np.zeros(n_s)
        for j in keep:
            col = [math.exp(F[t + 1, s] @ F[t, j] / math.sqrt(dim))
                   for s in range(n_s)]
            z = sum(col)
            for s in range(n_s):
                nxt[s] += col[s] / z * M[t, j]
        M[t + 1] = nxt / nxt.sum()
    return M


def ref_minmax(x):
    return (x - x.min()) / (x.max() - x.min())


def agn_weights(mod):
    th = mod.theta
    return (_np(th[0].weight), _np(th[0].bias), _np(th[2].weight),
            _np(th[2].bias))


# --------------------------------------------------------------------------
# class-agnostic (eq. 4-7)
# --------------------------------------------------------------------------
def _tokens_with_frame_means(frames, n_s=3, seed=0):
    """E [1, n_t, n_s, D] whose per-frame token mean is exactly ``frames``."""
    g = torch.Generator().manual_seed(seed)
    frames = torch.tensor(frames, dtype=torch.float64)
    noise = torch.randn(frames.shape[0], n_s, frames.shape[1], generator=g,
                        dtype=torch.float64)
    noise = noise - noise.mean(1, keepdim=True)
    return (frames[:, None, :] + noise)[None]


def test_agnostic_topk_hand_example():
    # adjacent L1 distances: 1, 0, 5, 3 -> top-2 pairs (3,4), (4,5)
    # (1-based) -> active frames 3 and 4 (0-based)
    frames = [[0, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [1, 5, 0, 0],
              [1, 5, 0, 3]]
    E = _tokens_with_frame_means(frames)
    mod = ClassAgnosticSoftMask(4, top_k=2, reduction=2).double()
    _, active = mod(E, return_active=True)
    assert sorted(active[0].tolist()) == [3, 4]
    # top_k larger than the pairs is clipped to n_t - 1
    mod.top_k = 10
    _, active = mod(E, return_active=True)
    assert sorted(active[0].tolist()) == [1, 2, 3, 4]


@pytest.mark.parametrize('distance,expected', [('l1', 1), ('l2', 2),
                                               ('cosine', 2)])
def test_agnostic_distance_options(distance, expected):
    # pair (0,1): diff [1,1,1,1] -> L1 4, L2 2, cosine 0 (parallel frames)
    # pair (1,2): diff [3,0,0,0] -> L1 3, L2 3, cosine > 0
    # top-1: L1 picks frame 1; L2 and cosine pick frame 2
    frames = [[1, 1, 1, 1], [2, 2, 2, 2], [5, 2, 2, 2]]
    E = _tokens_with_frame_means(frames)
    mod = ClassAgnosticSoftMask(4, top_k=1, distance=distance).double()
    _, active = mod(E, return_active=True)
    assert active[0].tolist() == [expected]


@pytest.mark.parametrize('distance', ['l1', 'l2', 'cosine'])
def test_agnostic_matches_loop_reference(distance):
    torch.manual_seed(0)
    E = torch.randn(3, 5, 4, 6, dtype=torch.float64)
    mod = ClassAgnosticSoftMask(6, top_k=2, reduction=2,
                                distance=distance).double()
    S, active = mod(E, return_active=True)
    assert S.shape == E.shape
    for b in range(E.shape[0]):
        ref_S, ref_active = ref_agnostic(_np(E[b]), *agn_weights(mod),
                                         top_k=2, distance=distance)
        assert sorted(active[b].tolist()) == ref_active
        np.testing.assert_allclose(_np(S[b]), ref_S, rtol=1e-9, atol=1e-12)
    # eq. 7: positive, averaging 1 over the visible tokens per channel
    assert bool((S > 0).all())
    np.testing.assert_allclose(_np(S.mean((1, 2))), 1.0, rtol=1e-9)


def test_agnostic_single_frame_and_bad_input():
    mod = ClassAgnosticSoftMask(4)
    S = mod(torch.randn(2, 1, 3, 4))
    assert S.shape == (2, 1, 3, 4)
    with pytest.raises(ValueError, match=r'\[B, n_t, n_s, D\]'):
        mod(torch.randn(2, 12, 4))
    with pytest.raises(ValueError, match='distance'):
        ClassAgnosticSoftMask(4, distance='l3')


# --------------------------------------------------------------------------
# class-semantic (eq. 8-11)
# --------------------------------------------------------------------------
def test_semantic_hand_example():
    """n_t=2, n_s=3, D=2, r=1, f = identity.

    M_1 = 1/3 each; the tie drops token 0, keeping a1=[0,1], a2=[1,1].
    Frame 2: b0=[2,0], b1=[0,0], b2=[0,2]; affinities b_s.a_j/sqrt(2):
    column a1: [0, 0, sqrt2], column a2: [sqrt2, 0, sqrt2]; each column
    is softmaxed over s, weighted by 1/3, summed, renormalised.
    """
    E = torch.tensor([[[[1., 0.], [0., 1.], [1., 1.]],
                       [[2., 0.], [0., 0.], [0., 2.]]]], dtype=torch.float64)
    mod = ClassSemanticSoftMask(2, top_r=1).double()
    with torch.no_grad():
        mod.proj.weight.copy_(torch.eye(2))
        mod.proj.bias.zero_()
    r2 = math.sqrt(2)
    e = math.exp(r2)
    col1 = [1 / (2 + e), 1 / (2 + e), e / (2 + e)]
    col2 = [e / (2 * e + 1), 1 / (2 * e + 1), e / (2 * e + 1)]
    m2 = [(col1[s] + col2[s]) / 3 for s in range(3)]
    m2 = [v / sum(m2) for v in m2]
    assert m2 == pytest.approx([0.3047, 0.1360, 0.5593], abs=1e-4)
    M = mod.accumulative_score(E)
    np.testing.assert_allclose(_np(M[0, 0]), [1 / 3] * 3)
    np.testing.assert_allclose(_np(M[0, 1]), m2, rtol=1e-12)
    # eq. 10-11: A = [1, 1, 2 | 2, 0, 2]; S = minmax(A (1 - M))
    raw = [1 * (2 / 3), 1 * (2 / 3), 2 * (2 / 3),
           2 * (1 - m2[0]), 0.0, 2 * (1 - m2[2])]
    lo, hi = min(raw), max(raw)
    expected = [(v - lo) / (hi - lo) for v in raw]
    np.testing.assert_allclose(_np(mod(E)).ravel(), expected, rtol=1e-9)


def _semantic_with_weights(D, r, scores='A+M', seed=0):
    torch.manual_seed(seed)
    return ClassSemanticSoftMask(D, top_r=r, proj_dims=5,
                                 scores=scores).double()


def test_semantic_matches_loop_reference():
    torch.manual_seed(1)
    E = torch.randn(3, 4, 6, 7, dtype=torch.float64)
    mod = _semantic_with_weights(7, 2)
    M = mod.accumulative_score(E)
    S = mod(E)
    W, bias = _np(mod.proj.weight), _np(mod.proj.bias)
    for b in range(E.shape[0]):
        ref_M = ref_accumulative(_np(E[b]), W, bias, 2)
        np.testing.assert_allclose(_np(M[b]), ref_M, rtol=1e-9)
        A = np.abs(_np(E[b])).sum(-1)
        np.testing.assert_allclose(_np(S[b]), ref_minmax(A * (1 - ref_M)),
                                   rtol=1e-9, atol=1e-12)
    # eq. 8: each frame's scores are a distribution over its tokens
    np.testing.assert_allclose(_np(M.sum(-1)), 1.0, rtol=1e-12)
    assert bool((M >= 0).all() and (M <= 1).all())
    # the chain actually moves mass: M is not uniform after frame 1
    assert float((M[:, 1:] - 1 / 6).abs().max().detach()) > 1e-3
    # eq. 11 min-max: exactly [0, 1] per sample
    np.testing.assert_allclose(_np(S.flatten(1).min(1).values), 0.0)
    np.testing.assert_allclose(_np(S.flatten(1).max(1).values), 1.0)


def test_semantic_excludes_top_r_tokens():
    """The r tokens with the highest M_t do not feed M_{t+1}."""
    torch.manual_seed(2)
    E = torch.randn(2, 3, 5, 4, dtype=torch.float64)
    mod = _semantic_with_weights(4, 2)
    M = mod.accumulative_score(E)
    # M_1 uniform -> ties drop tokens 0 and 1 of frame 0: perturbing them
    # leaves every M unchanged
    E2 = E.clone()
    E2[:, 0, :2] += 3.0 * torch.randn(2, 2, 4, dtype=torch.float64)
    np.testing.assert_allclose(_np(mod.accumulative_score(E2)), _np(M))
    # control: perturbing a kept token of frame 0 changes M_2
    E3 = E.clone()
    E3[:, 0, 3] += 3.0
    assert float((mod.accumulative_score(E3)[:, 1] - M[:, 1]).abs().max()
                 ) > 1e-6
    # later frames: the loop reference (which ranks M_t itself) matches the
    # module (test above), and excluding nothing gives a different M_3, so
    # the exclusion is effective
    W, bias = _np(mod.proj.weight), _np(mod.proj.bias)
    for b in range(2):
        ref = ref_accumulative(_np(E[b]), W, bias, 2)
        ref_r0 = ref_accumulative(_np(E[b]), W, bias, 0)
        np.testing.assert_allclose(_np(M[b]), ref, rtol=1e-9)
        assert np.abs(ref[2] - ref_r0[2]).max() > 1e-6


@pytest.mark.parametrize('scores', ['A', 'M'])
def test_semantic_variants(scores):
    torch.manual_seed(3)
    E = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    mod = _semantic_with_weights(5, 1, scores=scores)
    S = _np(mod(E))
    for b in range(2):
        if scores == 'A':
            raw = np.abs(_np(E[b])).sum(-1)
            assert mod.proj is None
        else:
            raw = 1 - ref_accumulative(_np(E[b]), _np(mod.proj.weight),
                                       _np(mod.proj.bias), 1)
        np.testing.assert_allclose(S[b], ref_minmax(raw), rtol=1e-9,
                                   atol=1e-12)


def test_semantic_bad_config():
    with pytest.raises(ValueError, match='top_r'):
        ClassSemanticSoftMask(4, top_r=3).accumulative_score(
            torch.randn(1, 2, 3, 4))
    with pytest.raises(ValueError, match='scores'):
        ClassSemanticSoftMask(4, scores='B')


# --------------------------------------------------------------------------
# combination (eq. 12) and pooling
# --------------------------------------------------------------------------
def _combo(agn=True, sem=True, scores='A+M'):
    return MODELS.build(dict(
        type='AdaptiveTemporalSoftMask',
        class_agnostic=dict(type='ClassAgnosticSoftMask', embed_dims=6,
                            top_k=2) if agn else None,
        class_semantic=dict(type='ClassSemanticSoftMask', embed_dims=6,
                            top_r=1, scores=scores) if sem else None))


def test_product_and_switches():
    torch.manual_seed(4)
    E = torch.randn(2, 4, 3, 6)
    both = _combo()
    S = both(E)
    expected = both.class_agnostic(E) * both.class_semantic(E)[..., None]
    torch.testing.assert_close(S, expected)
    pooled = both.pool(E)
    ref = (_np(E) * _np(S)).reshape(2, -1, 6).mean(1)
    np.testing.assert_allclose(_np(pooled), ref, rtol=1e-5, atol=1e-6)
    ca = _combo(sem=False)
    torch.testing.assert_close(ca(E), ca.class_agnostic(E))
    cs = _combo(agn=False)
    assert cs(E).shape == (2, 4, 3, 1)


def test_both_off_is_mean_pooling():
    E = torch.randn(2, 4, 3, 6)
    off = AdaptiveTemporalSoftMask(None, None)
    assert not off.enabled and off(E) is None
    torch.testing.assert_close(off.pool(E), E.reshape(2, 12, 6).mean(1))


def test_vectorised_over_batch_and_grads():
    torch.manual_seed(5)
    E = torch.randn(3, 4, 5, 6, requires_grad=True)
    mod = _combo()
    S = mod(E)
    for b in range(3):
        torch.testing.assert_close(S[b:b + 1], mod(E[b:b + 1]))
    mod.pool(E).pow(2).sum().backward()
    assert E.grad is not None and float(E.grad.abs().sum()) > 0
    for name, p in mod.named_parameters():
        assert p.grad is not None and float(p.grad.abs().sum()) > 0, name
