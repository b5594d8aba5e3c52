"""DAM (HDF eq. 2-3, 6-12) and X3DWithDAM."""
import numpy as np
import pytest
import torch
from scipy.fft import dct as scipy_dct

from dfertools.models.backbones.dam import DAM
from dfertools.models.backbones.dam_frequency import FrequencyAttention
from dfertools.models.backbones.dam_temporal import TemporalAttention
from dfertools.models.backbones.dct import DCT2D, dct_matrix
from dfertools.models.backbones.x3d_dam import X3DWithDAM
from dfertools.registry import MODELS


@pytest.mark.parametrize('n', [1, 3, 5, 8])
def test_dct_matrix_orthonormal_and_matches_scipy(n):
    d = dct_matrix(n, dtype=torch.float64)
    assert torch.allclose(d @ d.t(), torch.eye(n, dtype=torch.float64),
                          atol=1e-12)
    # column j of D is the DCT-II (ortho) of the j-th unit vector
    ref = scipy_dct(np.eye(n), type=2, norm='ortho', axis=0)
    np.testing.assert_allclose(d.numpy(), ref, atol=1e-12)


def test_dct2d_buffer_matches_scipy_2d():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4, 5, 7, dtype=torch.float64)
    dct = DCT2D()
    y = dct(x.float()).double()
    ref = scipy_dct(scipy_dct(x.numpy(), type=2, norm='ortho', axis=-1),
                    type=2, norm='ortho', axis=-2)
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-4)
    # the basis is held in (non-persistent) buffers, orthonormal
    names = dict(dct.named_buffers())
    assert set(names) == {'basis_h', 'basis_w'}
    bh = names['basis_h'].double()
    assert torch.allclose(bh @ bh.t(), torch.eye(5, dtype=torch.float64),
                          atol=1e-6)
    assert dct.state_dict() == {}
    # energy preserved (Parseval)
    assert torch.allclose(y.pow(2).sum(), x.pow(2).sum(), rtol=1e-4)


def _scipy_dct2(x: np.ndarray) -> np.ndarray:
    """Independent orthonormal 2-D DCT-II over the last two axes."""
    return scipy_dct(scipy_dct(x, type=2, norm='ortho', axis=-1),
                     type=2, norm='ortho', axis=-2)


def test_dct2d_follows_the_input_dtype_float64_exact():
    """A float64 input gets a float64 basis (HDF eq. 2-3): equal to scipy's
    DCT to float64 precision, not to the ~1e-7 of a float32 basis."""
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4, 5, 7, dtype=torch.float64)
    dct = DCT2D()
    y = dct(x)
    assert y.dtype == torch.float64
    assert dct.basis_h.dtype == dct.basis_w.dtype == torch.float64
    np.testing.assert_allclose(y.numpy(), _scipy_dct2(x.numpy()), rtol=0,
                               atol=1e-12)
    # float32 input: float32 basis; back to float64: rebuilt, exact again
    assert dct(x.float()).dtype == torch.float32
    assert dct.basis_h.dtype == torch.float32
    np.testing.assert_allclose(dct(x).numpy(), _scipy_dct2(x.numpy()),
                               rtol=0, atol=1e-12)
    # a module-wide cast of the float32 buffers is not mistaken for a
    # float64 basis
    dct(x.float())
    dct.double()
    np.testing.assert_allclose(dct(x).numpy(), _scipy_dct2(x.numpy()),
                               rtol=0, atol=1e-12)


def test_frequency_branch_in_float64_matches_scipy_dct():
    """The DAM frequency branch's DCT output (eq. 2) for a float64 model."""
    torch.manual_seed(0)
    fa = FrequencyAttention(4).double().eval()
    x = torch.randn(2, 4, 3, 6, 6, dtype=torch.float64)
    np.testing.assert_allclose(fa.dct(x).numpy(), _scipy_dct2(x.numpy()),
                               rtol=0, atol=1e-12)
    assert fa(x).dtype == torch.float64


def test_perturbation_only_in_training():
    torch.manual_seed(0)
    fa = FrequencyAttention(4)
    f = torch.randn(3, 4, 2, 5, 5)
    fa.eval()
    assert torch.equal(fa.adversarial(f), f)
    fa.train()
    out = fa.adversarial(f)
    assert not torch.allclose(out, f)
    # eq. 6 by hand: f + a*eps*sign(f) + b*sign(f)*RMS(f_i - mean_batch f)
    dev = (f - f.mean(0, keepdim=True)).flatten(1)
    dev = (dev.norm(dim=1) / dev.shape[1]**0.5).view(-1, 1, 1, 1, 1)
    ref = (f + fa.adv_alpha * fa.epsilon * f.sign() +
           fa.adv_beta * f.sign() * dev)
    assert torch.allclose(out, ref, atol=1e-6)
    # the whole block: eval output is deterministic, train output differs
    x = torch.randn(3, 4, 2, 6, 6)
    fa.eval()
    e1, e2 = fa(x), fa(x)
    assert torch.equal(e1, e2)
    fa.train()
    assert not torch.allclose(fa(x), e1)


def test_dynamic_tanh_matches_eq7():
    torch.manual_seed(0)
    fa = FrequencyAttention(3)
    with torch.no_grad():
        fa.dyn_alpha.fill_(0.7)
        fa.dyn_gamma.copy_(torch.tensor([1.0, 2.0, 0.5]))
        fa.dyn_beta.copy_(torch.tensor([0.1, -0.2, 0.0]))
    f = torch.randn(2, 3, 2, 4, 4)
    out = fa.dynamic_tanh(f)
    for b in range(2):
        for c in range(3):
            v = f[b, c].var(unbiased=False)
            ref = torch.tanh(0.7 / torch.sqrt(v + fa.var_eps) * f[b, c])
            ref = ref * fa.dyn_gamma[c] + fa.dyn_beta[c]
            assert torch.allclose(out[b, c], ref, atol=1e-6)


def test_temporal_difference_along_t_not_channels():
    torch.manual_seed(0)
    x = torch.randn(2, 6, 5, 4, 4)
    a_avg, _ = TemporalAttention.descriptors(x)
    d = TemporalAttention.local_difference(a_avg)
    assert d.shape == (2, 5, 1)
    assert torch.all(d[:, 0] == 0)
    # by hand: RMS over channels of the step between spatial means
    m = x.mean(dim=(3, 4))  # [B, C, T]
    ref = (m[:, :, 1:] - m[:, :, :-1]).norm(dim=1) / 6**0.5
    assert torch.allclose(d[:, 1:, 0], ref, atol=1e-6)
    # a change along channels that is the same for every frame: no effect
    chan = torch.randn(1, 6, 1, 1, 1) * 3
    d_chan = TemporalAttention.local_difference(
        TemporalAttention.descriptors(x + chan)[0])
    assert torch.allclose(d_chan, d, atol=1e-5)
    # a change along T moves it
    time = torch.zeros(1, 1, 5, 1, 1)
    time[:, :, 3] = 2.0
    d_time = TemporalAttention.local_difference(
        TemporalAttention.descriptors(x + time)[0])
    assert not torch.allclose(d_time, d, atol=1e-3)
    assert torch.allclose(d_time[:, :3], d[:, :3], atol=1e-6)
    # the global deviation likewise ignores a frame-constant channel shift
    w = TemporalAttention.global_deviation(a_avg)
    w_chan = TemporalAttention.global_deviation(
        TemporalAttention.descriptors(x + chan)[0])
    assert torch.allclose(w, w_chan, atol=1e-5)


def test_temporal_gate_eq9():
    torch.manual_seed(0)
    ta = TemporalAttention(4)
    with torch.no_grad():
        for p, v in zip((ta.alpha, ta.beta, ta.gamma, ta.delta),
                        (0.5, 2.0, 1.5, -0.3)):
            p.fill_(v)
    x = torch.randn(2, 4, 6, 3, 3)
    g = ta.gate(x)
    a = x.mean(dim=(3, 4)).transpose(1, 2)
    mx = x.amax(dim=(3, 4)).transpose(1, 2)

    def z(v):
        return (v - v.mean(1, keepdim=True)) / (
            v.std(1, unbiased=False, keepdim=True) + ta.eps)

    w = (a - a.mean(1, keepdim=True)).norm(dim=-1, keepdim=True) / 2
    d = torch.zeros_like(w)
    d[:, 1:] = (a[:, 1:] - a[:, :-1]).norm(dim=-1, keepdim=True) / 2
    ref = torch.sigmoid(1.5 * (0.5 * z(a) + 2.0 * z(mx)) - 0.3 * w - d)
    assert torch.allclose(g, ref, atol=1e-6)


def test_fusion_weights_sum_to_one_and_shape():
    torch.manual_seed(0)
    dam = DAM(8)
    x = torch.randn(3, 8, 4, 6, 6)
    lam_t, lam_s = dam.fusion_weights(x, torch.randn_like(x))
    assert lam_t.shape == (3, )
    assert torch.allclose(lam_t + lam_s, torch.ones(3))
    assert torch.all((lam_t > 0) & (lam_t < 1))
    for mode in (True, False):
        dam.train(mode)
        assert dam(x).shape == x.shape
    # eq. 12 with the branch outputs
    dam.eval()
    x_t, x_s = dam.temporal(x), dam.frequency(x)
    lt, ls = dam.fusion_weights(x_t, x_s)
    ref = lt.view(-1, 1, 1, 1, 1) * x_t + ls.view(-1, 1, 1, 1, 1) * x_s
    assert torch.allclose(dam(x), ref, atol=1e-6)


@pytest.mark.parametrize('freq,temp', [(True, False), (False, True)])
def test_single_branch(freq, temp):
    dam = DAM(4, use_frequency=freq, use_temporal=temp).eval()
    x = torch.randn(2, 4, 3, 5, 5)
    branch = dam.frequency if freq else dam.temporal
    assert (dam.frequency is None) != (dam.temporal is None)
    assert torch.equal(dam(x), branch(x))


def test_dam_errors():
    with pytest.raises(ValueError, match='at least one branch'):
        DAM(4, use_frequency=False, use_temporal=False)
    with pytest.raises(ValueError, match='channels'):
        DAM(4)(torch.randn(1, 5, 2, 4, 4))


def test_dam_gradients_flow():
    dam = DAM(4).train()
    x = torch.randn(2, 4, 3, 8, 8, requires_grad=True)
    dam(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    for name, p in dam.named_parameters():
        assert p.grad is not None, name


def _tiny_x3d(**kw):
    return X3DWithDAM(gamma_w=0.5, gamma_b=1.0, gamma_d=1.0, se_ratio=None,
                      **kw)


def test_x3d_with_dam_shapes_and_registry():
    m = MODELS.build(dict(type='X3DWithDAM', gamma_w=0.5, gamma_b=1.0,
                          gamma_d=1.0, se_ratio=None))
    assert isinstance(m, X3DWithDAM)
    assert [d.channels for d in m.dams] == [16, 32, 64, 128]
    m.init_weights()
    y = m(torch.randn(2, 3, 4, 32, 32))
    assert y.shape == (2, m.feat_dim, 4, 1, 1)
    plain = _tiny_x3d(dam_cfg=None)
    assert all(isinstance(d, torch.nn.Identity) for d in plain.dams)
    assert plain(torch.randn(1, 3, 4, 32, 32)).shape == (1, 128, 4, 1, 1)


def test_x3d_checkpoint_loading(tmp_path):
    src = _tiny_x3d(dam_cfg=None)
    src.init_weights()
    state = {f'backbone.{k}': v for k, v in src.state_dict().items()}
    state['cls_head.fc.weight'] = torch.zeros(2, 2)
    path = tmp_path / 'x3d.pth'
    torch.save({'state_dict': state, 'meta': {'epoch': 3}}, path)
    dst = _tiny_x3d(checkpoint=str(path))
    dst.init_weights()
    rep = dst.checkpoint_report
    assert rep['missing_non_dam_keys'] == []
    assert rep['unexpected_keys'] == []
    assert rep['missing_keys'] and all(
        k.startswith('dams.') for k in rep['missing_keys'])
    for k, v in src.state_dict().items():
        assert torch.equal(dst.state_dict()[k], v), k
    with pytest.raises(FileNotFoundError, match='checkpoint'):
        _tiny_x3d(checkpoint=str(tmp_path / 'nope.pth')).init_weights()
    with pytest.raises(ValueError, match='checkpoint='):
        _tiny_x3d(pretrained='x.pth')
