"""GradNormLossScaler (HDF eq. 16) and its use in the recognizer step."""
import pytest
import torch
from torch import nn

from dfertools.models.losses.grad_norm_scaler import (GradNormLossScaler,
                                                      global_grad_norm)
from dfertools.registry import MODELS


@pytest.mark.parametrize('g', [0.0, 0.5, 1.0, 3.0, 250.0])
def test_lambdas_follow_eq16(g):
    s = GradNormLossScaler(alpha=10.0, beta=0.1)
    lam_ce, lam_sc = s.weights(torch.tensor(g))
    assert lam_ce.item() == pytest.approx(10.0 * g / (g + 1.0), rel=1e-6)
    assert lam_sc.item() == pytest.approx(0.1 / (g + 1.0), rel=1e-6)


def test_initial_g_is_one_and_update():
    s = MODELS.build(dict(type='GradNormLossScaler', alpha=4.0, beta=0.2))
    lam_ce, lam_sc = s.weights()
    assert s.g.item() == 1.0
    assert lam_ce.item() == pytest.approx(2.0)
    assert lam_sc.item() == pytest.approx(0.1)
    s.update(torch.tensor(3.0))
    lam_ce, lam_sc = s.weights()
    assert lam_ce.item() == pytest.approx(3.0)
    assert lam_sc.item() == pytest.approx(0.05)
    # a non-finite g (AMP overflow) keeps the previous one
    s.update(torch.tensor(float('inf')))
    assert s.g.item() == 3.0
    # g is state: saved and restored with the model
    t = GradNormLossScaler()
    t.load_state_dict(s.state_dict())
    assert t.g.item() == 3.0


def test_global_grad_norm():
    a = nn.Parameter(torch.zeros(3))
    b = nn.Parameter(torch.zeros(2, 2))
    a.grad = torch.tensor([1.0, 2.0, 2.0])
    b.grad = torch.tensor([[4.0, 0.0], [0.0, 0.0]])
    c = nn.Parameter(torch.zeros(1))  # no grad: ignored
    assert global_grad_norm([a, b, c]).item() == pytest.approx(
        (1 + 4 + 4 + 16)**0.5)
    grads = [torch.ones(4), None]
    assert global_grad_norm([a, b], grads).item() == pytest.approx(2.0)
