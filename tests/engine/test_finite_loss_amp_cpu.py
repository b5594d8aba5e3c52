"""The NonFiniteLossHook guard with MMEngine's AmpOptimWrapper on CPU.

MMEngine refuses to build ``AmpOptimWrapper`` without an accelerator, so the
test lets it build and gives it torch's CPU ``GradScaler`` (same algorithm as
on CUDA): an overflow step (finite loss, infinite gradients) is skipped by
the scaler, which lowers its scale — not flagged by the guard, not fatal —
while a NaN loss is caught by the guard and leaves the scale untouched."""
import pytest
import torch
from mmengine.optim.optimizer import amp_optimizer_wrapper

from dfertools.engine.finite_loss_hook import _UpdateGuard


pytestmark = pytest.mark.filterwarnings(
    'ignore:torch.cuda.amp.GradScaler is enabled')


@pytest.fixture
def amp_cpu(monkeypatch):
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    w = torch.nn.Parameter(torch.tensor([0.0, 1.0]))
    ow = amp_optimizer_wrapper.AmpOptimWrapper(
        optimizer=torch.optim.SGD([w], lr=0.1))
    ow.loss_scaler = torch.amp.GradScaler('cpu', init_scale=2.0 ** 10)
    guard = _UpdateGuard(ow)
    guard.install()
    yield w, ow, guard
    guard.remove()


def test_overflow_skipped_by_scaler_nan_caught_by_guard(amp_cpu):
    w, ow, guard = amp_cpu
    before = w.detach().clone()
    scale0 = ow.loss_scaler.get_scale()
    # finite loss (1), gradient of sqrt(|w|) at 0 is inf: an overflow step
    ow.update_params(torch.sqrt(w.abs()).sum())
    assert not guard.tripped
    assert torch.equal(w.detach(), before)  # the scaler skipped it
    assert ow.loss_scaler.get_scale() == scale0 / 2  # and backed off
    scale1 = ow.loss_scaler.get_scale()

    ow.update_params((w * float('nan')).sum())
    assert guard.tripped
    guard.tripped = False
    assert torch.equal(w.detach(), before)
    assert ow.loss_scaler.get_scale() == scale1  # scaler state untouched
    assert w.grad is None

    ow.update_params((w ** 2).sum())  # a good step goes through
    assert not guard.tripped
    assert not torch.equal(w.detach(), before)
    assert torch.isfinite(w).all()
