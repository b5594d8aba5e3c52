"""NonFiniteLossHook through mmengine's Runner on a toy model (CPU)."""
import pytest
import torch
from mmengine.runner import Runner

import dfertools.engine  # noqa: F401
from dfertools.engine import NonFiniteLossError
from dfertools.registry import HOOKS

from tests.fixtures.engine_toys import (Snapshot, ToyDataset, runner_cfg,
                               train_into_nan_at_iteration_2)


def all_finite(state):
    return all(torch.isfinite(v).all() for v in state.values())


def test_registered():
    assert HOOKS.get('NonFiniteLossHook') is not None


def test_stops_with_iteration_ids_and_parts_without_nan_update(tmp_path):
    snap = Snapshot()
    # batches of 2 in order: (v0,v1) (v2,v3) (v4,v5) -> v3 poisons iter 2
    runner = Runner(**runner_cfg(
        tmp_path, ToyDataset(poison=['v3']), max_iters=4,
        custom_hooks=[dict(type='NonFiniteLossHook')]))
    msg = train_into_nan_at_iteration_2(runner, snap)
    assert 'loss_cls=nan' in msg and 'loss_reg=' in msg
    # the bad step did not touch the weights nor the momentum buffers
    now = runner.model.state_dict()
    for k, v in snap.params[0].items():
        assert torch.equal(now[k], v), k
    state = runner.optim_wrapper.optimizer.state_dict()['state']
    assert all(torch.isfinite(s['momentum_buffer']).all()
               for s in state.values())
    assert all(p.grad is None or not p.grad.abs().sum()
               for p in runner.model.parameters())


def test_max_skips_tolerates_then_fails(tmp_path):
    snap = Snapshot()
    runner = Runner(**runner_cfg(
        tmp_path / 'a', ToyDataset(poison=['v3']), max_iters=4,
        custom_hooks=[dict(type='NonFiniteLossHook', max_skips=1)]))
    runner.register_hook(snap)
    runner.train()  # one bad step of four is skipped
    assert len(snap.params) == 4
    for k in snap.params[0]:
        assert torch.equal(snap.params[0][k], snap.params[1][k])  # skipped
        assert not torch.equal(snap.params[1][k], snap.params[2][k])
    assert all(all_finite(p) for p in snap.params)
    assert runner.message_hub.get_info('non_finite_loss_skips') == 1

    runner = Runner(**runner_cfg(
        tmp_path / 'b', ToyDataset(poison=['v3', 'v4']), max_iters=4,
        custom_hooks=[dict(type='NonFiniteLossHook', max_skips=1)]))
    with pytest.raises(NonFiniteLossError, match='iteration 3.*v4'):
        runner.train()
    assert all_finite(runner.model.state_dict())


def test_unguarded_mode_detects_after_the_step(tmp_path):
    runner = Runner(**runner_cfg(
        tmp_path, ToyDataset(poison=['v1']), max_iters=2,
        custom_hooks=[dict(type='NonFiniteLossHook', guard=False)]))
    with pytest.raises(NonFiniteLossError, match='ALREADY APPLIED'):
        runner.train()
    # without the guard the NaN update went through: that is why it exists
    assert not all_finite(runner.model.state_dict())


def test_finite_loss_with_overflowing_grads_is_not_flagged(tmp_path):
    """What an AMP overflow step looks like to the guard: a finite loss
    whose gradients are infinite. The guard must let it through (the grad
    scaler, not this hook, deals with it)."""
    from dfertools.engine.finite_loss_hook import _UpdateGuard
    from mmengine.optim import OptimWrapper
    w = torch.nn.Parameter(torch.zeros(2))
    ow = OptimWrapper(torch.optim.SGD([w], lr=0.1))
    guard = _UpdateGuard(ow)
    guard.install()
    loss = torch.sqrt(w.abs()).sum()  # finite (0), gradient inf at 0
    ow.update_params(loss)
    assert not guard.tripped
    guard.remove()
    assert 'backward' not in ow.__dict__ and 'step' not in ow.__dict__


@pytest.mark.skipif(not torch.cuda.is_available(), reason='AMP needs CUDA')
def test_amp_overflow_not_fatal_and_nan_loss_caught():
    from dfertools.engine.finite_loss_hook import _UpdateGuard
    from mmengine.optim import AmpOptimWrapper
    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 1).cuda()
    ow = AmpOptimWrapper(optimizer=torch.optim.SGD(lin.parameters(), lr=0.1),
                         loss_scale='dynamic')
    guard = _UpdateGuard(ow)
    guard.install()
    scale0 = ow.loss_scaler.get_scale()
    before = lin.weight.detach().clone()
    with ow.optim_context(lin):
        loss = lin(torch.full((2, 4), 10.0, device='cuda')).float().mean()
    assert torch.isfinite(loss)
    # d(scaled loss)/d(weight) ~ 65536 * 10 overflows fp16: scaler skips
    ow.update_params(loss)
    assert not guard.tripped
    assert ow.loss_scaler.get_scale() < scale0
    assert torch.equal(lin.weight, before)
    scale1 = ow.loss_scaler.get_scale()
    with ow.optim_context(lin):
        nan_loss = lin(torch.ones(2, 4, device='cuda')).float().mean() * \
            float('nan')
    ow.update_params(nan_loss)
    assert guard.tripped
    assert torch.equal(lin.weight, before)
    assert ow.loss_scaler.get_scale() == scale1  # scaler state untouched


def test_enabled_as_a_default_hook(tmp_path):
    """The form the integrator puts in default_runtime.py (default_hooks
    merges extra keys, so configs' custom_hooks cannot drop it)."""
    cfg = runner_cfg(tmp_path, ToyDataset(poison=['v0']), max_iters=2)
    cfg['default_hooks']['non_finite_loss'] = dict(type='NonFiniteLossHook')
    runner = Runner(**cfg)
    with pytest.raises(NonFiniteLossError, match='iteration 1'):
        runner.train()
    assert all_finite(runner.model.state_dict())
