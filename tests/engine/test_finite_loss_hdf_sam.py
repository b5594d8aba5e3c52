"""NonFiniteLossHook on HDFRecognizer with the optimiser wrappers that
measure its grad-norm scaler's g: GradNormOptimWrapper (backward, g, step)
and SAMOptimWrapper (two forward/backward passes, one step). A NaN
input in iteration 2 must not reach the weights, the optimizer state, the
DSM scaler's g nor the BatchNorm statistics, and the run must stop naming
the iteration, the batch's ids and the loss parts."""
import pytest
import torch
from mmengine.runner import Runner

import dfertools.engine  # noqa: F401
import dfertools.models  # noqa: F401
from tests.fixtures.engine_toys import (Snapshot, runner_cfg,
                               train_into_nan_at_iteration_2)
from tests.fixtures.tiny_hdf import ClipDataset, ddp_hdf_rank, tiny_hdf_cfg


@pytest.mark.parametrize('wrapper', ['GradNormOptimWrapper',
                                     'SAMOptimWrapper'])
def test_hdf_step_nan_never_reaches_the_weights(tmp_path, wrapper):
    snap = Snapshot()
    runner = Runner(**runner_cfg(
        tmp_path, ClipDataset(poison=['v3']), max_iters=3,
        custom_hooks=[dict(type='NonFiniteLossHook')], model=tiny_hdf_cfg(),
        optim_wrapper=dict(type=wrapper, optimizer=dict(type='AdamW',
                                                        lr=1e-3)),
        experiment_name=f'hdf_nan_{wrapper}'))
    msg = train_into_nan_at_iteration_2(runner, snap)
    assert 'loss_ce=nan' in msg and 'loss_sc=' in msg
    model = runner.model
    now = model.state_dict()
    for k, v in snap.params[0].items():  # params and buffers, g included
        assert torch.equal(now[k], v), k
    assert torch.isfinite(model.loss_scaler.g) and model.loss_scaler.g != 1
    for state in runner.optim_wrapper.optimizer.state.values():
        assert all(torch.isfinite(t).all() for t in state.values()
                   if torch.is_tensor(t))
    assert all(p.grad is None for p in model.parameters())


def test_sam_ascent_never_sees_a_nan_gradient():
    """Directly on the wrapper: a NaN loss at the first SAM pass leaves
    the weights exactly as they were (no perturbation, no step)."""
    from mmengine.optim import OptimWrapper  # noqa: F401
    from dfertools.engine import SAMOptimWrapper
    from dfertools.engine.finite_loss_hook import _UpdateGuard
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    ow = SAMOptimWrapper(torch.optim.SGD([w], lr=0.1), rho=0.05)
    guard = _UpdateGuard(ow)
    guard.install()
    before = w.detach().clone()
    ow.step_with_closure(lambda: (w * float('nan')).sum())
    assert guard.tripped and torch.equal(w.detach(), before)
    guard.tripped = False
    ow.step_with_closure(lambda: (w ** 2).sum())  # a good step still works
    assert not guard.tripped and not torch.equal(w.detach(), before)


def _ddp_worker(rank, init_file, result_file, kind):
    import torch.distributed as dist
    from mmengine.dataset import pseudo_collate

    from dfertools.engine.finite_loss_hook import _UpdateGuard
    model, ow, ddp = ddp_hdf_rank(rank, init_file, kind,
                                  dict(type='AdamW', lr=1e-3))
    guard = _UpdateGuard(ow)
    guard.install()
    trips, params = [], []
    for step in range(3):
        ids = [4 * step + 2 * rank, 4 * step + 2 * rank + 1]
        poison = ['v7'] if step == 1 else []  # rank 1's batch: v6, v7
        data = ClipDataset(n=12, poison=poison)
        ddp.train_step(pseudo_collate([data[i] for i in ids]), ow)
        trips.append(guard.tripped)
        guard.tripped = False
        params.append([p.detach().clone() for p in model.parameters()])
    torch.save(dict(trips=trips, params=params), f'{result_file}.{rank}')
    dist.destroy_process_group()


@pytest.mark.slow
@pytest.mark.parametrize('kind', ['GradNormOptimWrapper', 'SAMOptimWrapper'])
def test_nan_on_one_rank_skips_the_step_on_both(tmp_path, kind):
    """HDF under MMEngine's stock DDP wrapper (and SAM's two passes) with a
    NaN on rank 1 only:
    both ranks skip that step together (no hang), weights stay equal."""
    import torch.multiprocessing as mp
    mp.spawn(_ddp_worker, args=(str(tmp_path / 'pg'), str(tmp_path / 'r'),
                                kind), nprocs=2)
    r = [torch.load(tmp_path / f'r.{i}', weights_only=True) for i in (0, 1)]
    assert r[0]['trips'] == r[1]['trips'] == [False, True, False]
    for s0, s1 in zip(r[0]['params'], r[1]['params']):
        assert all(torch.equal(a, b) and torch.isfinite(a).all()
                   for a, b in zip(s0, s1))
    p = r[0]['params']
    assert all(torch.equal(a, b) for a, b in zip(p[0], p[1]))  # skipped
    assert not all(torch.equal(a, b) for a, b in zip(p[1], p[2]))
