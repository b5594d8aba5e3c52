"""SAMOptimWrapper: two forward/backward passes, the SAM update by hand."""
import numpy as np
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

import dfertools.engine  # noqa: F401  (registers SAMOptimWrapper)
from dfertools.engine.sam_optim_wrapper import SAMOptimWrapper

A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
B = np.array([0.2, -1.0, 0.5])
W0 = np.array([1.0, -2.0, 0.5])


class Quadratic(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(W0))
        self.calls = 0

    def forward(self):
        self.calls += 1
        a = torch.tensor(A)
        return 0.5 * self.w @ a @ self.w + torch.tensor(B) @ self.w


def grad(w):
    return A @ w + B


def _wrapper(model, lr, rho, adaptive=False):
    with DefaultScope.overwrite_default_scope('dfertools'):
        return build_optim_wrapper(model, dict(
            type='SAMOptimWrapper', rho=rho, adaptive=adaptive,
            optimizer=dict(type='SGD', lr=lr)))


@pytest.mark.parametrize('rho', [0.05, 0.5])
def test_sam_step_on_quadratic(rho):
    lr = 0.1
    model = Quadratic()
    ow = _wrapper(model, lr, rho)
    assert isinstance(ow, SAMOptimWrapper)
    seen = {}

    def record():
        seen['g'] = model.w.grad.clone().numpy()
        seen['w'] = model.w.detach().clone().numpy()

    w = W0.copy()
    for step in range(3):
        loss = ow.step_with_closure(model, after_first_backward=record)
        # by hand: e = rho g/||g||, w <- w - lr * grad(w + e)
        g1 = grad(w)
        e = rho * g1 / np.linalg.norm(g1)
        expected = w - lr * grad(w + e)
        np.testing.assert_allclose(seen['g'], g1, rtol=1e-12)
        np.testing.assert_allclose(seen['w'], w, rtol=1e-12)
        np.testing.assert_allclose(model.w.detach().numpy(), expected,
                                   rtol=1e-10)
        assert loss.item() == pytest.approx(0.5 * w @ A @ w + B @ w)
        assert model.calls == 2 * (step + 1)  # two forward passes per step
        assert model.w.grad is None or torch.all(model.w.grad == 0)
        w = expected


def test_adaptive_sam_step():
    lr, rho = 0.1, 0.2
    model = Quadratic()
    ow = _wrapper(model, lr, rho, adaptive=True)
    ow.step_with_closure(model)
    g1 = grad(W0)
    # ASAM: e = rho * w^2 g / ||w g||
    e = rho * W0**2 * g1 / np.linalg.norm(np.abs(W0) * g1)
    np.testing.assert_allclose(model.w.detach().numpy(),
                               W0 - lr * grad(W0 + e), rtol=1e-10)


def test_plain_update_params_refused_and_config_errors():
    model = Quadratic()
    ow = _wrapper(model, 0.1, 0.05)
    with pytest.raises(RuntimeError, match='step_with_closure'):
        ow.update_params(model())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match='accumulative_counts'):
        SAMOptimWrapper(opt, accumulative_counts=2)
    with pytest.raises(ValueError, match='rho'):
        SAMOptimWrapper(opt, rho=0.0)
