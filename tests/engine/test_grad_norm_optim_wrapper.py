"""GradNormOptimWrapper / AmpGradNormOptimWrapper / SAMOptimWrapper through
MMEngine's stock train_step: g reported to the scaler (unscaled under AMP),
SAM's second pass re-run from the recorded forward, the wrong wrapper
refused by the runner, and HDF under the stock DDP wrapper on two
processes."""
import copy

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.optim.optimizer import amp_optimizer_wrapper
from torch import nn

import dfertools.engine  # noqa: F401
import dfertools.models  # noqa: F401
from dfertools.engine import (AmpGradNormOptimWrapper, DFERRunner,
                              GradNormOptimWrapper, SAMOptimWrapper)
from dfertools.models.losses.grad_norm_scaler import GradNormLossScaler
from tests.fixtures.tiny_hdf import ClipDataset, ddp_hdf_rank, tiny_hdf_cfg

W0 = [0.5, -1.0, 2.0]


class Weighted(BaseModel):
    """``L = lambda_CE * |w|^2/2 + lambda_SC * sum(w)`` with lambdas of a
    GradNormLossScaler (alpha 10, beta 0.1): grad = lambda_CE w + lambda_SC."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(W0))
        self.scaler = GradNormLossScaler()
        self.forwards = 0

    def forward(self, inputs, data_samples=None, mode='loss'):
        self.forwards += 1
        lam_ce, lam_sc = self.scaler.step_weights()
        return dict(loss_a=lam_ce * 0.5 * (self.w * inputs).pow(2).sum(),
                    loss_b=lam_sc * self.w.sum())


def _grad(w, g):
    lam_ce, lam_sc = 10 * g / (g + 1), 0.1 / (g + 1)
    return lam_ce * w + lam_sc


def test_plain_step_reports_g_of_this_step():
    model = Weighted()
    ow = GradNormOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    w, g = torch.tensor(W0), 1.0
    for _ in range(3):
        model.train_step(dict(inputs=torch.tensor(1.0)), ow)
        grad = _grad(w, g)
        g = grad.norm().item()
        w = w - 0.1 * grad
        assert model.scaler.g.item() == pytest.approx(g, rel=1e-6)
        assert torch.allclose(model.w.detach(), w, rtol=1e-5, atol=1e-7)
    assert not model.scaler._step_open  # every step closed


@pytest.mark.filterwarnings('ignore:torch.cuda.amp.GradScaler is enabled')
def test_amp_reports_the_unscaled_norm(monkeypatch):
    """MMEngine refuses AmpOptimWrapper without an accelerator; on CPU it
    gets torch's CPU GradScaler (as in test_finite_loss_amp_cpu). The
    backward runs on the loss times 2^10; the scaler must get the norm of the
    true gradient (the toy's elementwise ops are not autocast)."""
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    model = Weighted()
    ow = AmpGradNormOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    ow.loss_scaler = torch.amp.GradScaler('cpu', init_scale=2.0 ** 10)
    model.train_step(dict(inputs=torch.tensor(1.0)), ow)
    g = _grad(torch.tensor(W0), 1.0).norm().item()
    assert model.scaler.g.item() == pytest.approx(g, rel=1e-6)
    # a step with an infinite gradient keeps the previous g
    model.train_step(dict(inputs=torch.tensor(float('inf'))), ow)
    assert model.scaler.g.item() == pytest.approx(g, rel=1e-6)


def test_sam_through_the_stock_train_step():
    """update_params re-runs the recorded forward for L(w + e); the lambdas
    stay those of the first pass; g = norm of grad L(w)."""
    model = Weighted()
    ow = SAMOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1),
                         rho=0.05)
    w, g = torch.tensor(W0), 1.0
    for step in range(2):
        model.train_step(dict(inputs=torch.tensor(1.0)), ow)
        g1 = _grad(w, g)
        e = 0.05 * g1 / g1.norm()
        w = w - 0.1 * _grad(w + e, g)   # second pass: same lambdas
        g = g1.norm().item()
        assert model.forwards == 2 * (step + 1)
        assert model.scaler.g.item() == pytest.approx(g, rel=1e-6)
        assert torch.allclose(model.w.detach(), w, rtol=1e-5, atol=1e-7)
    with pytest.raises(RuntimeError, match='optim_context'):
        ow.update_params(model(torch.tensor(1.0))['loss_a'])


def test_runner_refuses_a_wrapper_that_does_not_measure_g(tmp_path):
    from tests.fixtures.engine_toys import runner_cfg
    runner = DFERRunner(**runner_cfg(
        tmp_path, ClipDataset(), max_iters=1, model=tiny_hdf_cfg(),
        optim_wrapper=dict(type='OptimWrapper',
                           optimizer=dict(type='SGD', lr=0.01)),
        experiment_name='hdf_plain_wrapper'))
    with pytest.raises(TypeError, match="type='GradNormOptimWrapper'"):
        runner.train()
    assert runner.model.loss_scaler.g.item() == 1.0  # no step was taken


def _ddp_worker(rank, init_file, result_file, kind):
    import torch.distributed as dist
    from mmengine.dataset import pseudo_collate
    model, ow, ddp = ddp_hdf_rank(rank, init_file, kind,
                                  dict(type='SGD', lr=0.01))
    init = copy.deepcopy(model.state_dict())
    data = ClipDataset(n=8)
    gs, logs = [], []
    for step in range(2):
        ids = [4 * step + 2 * rank, 4 * step + 2 * rank + 1]
        logs.append(ddp.train_step(pseudo_collate([data[i] for i in ids]),
                                   ow))
        gs.append(model.loss_scaler.g.clone())
    torch.save(dict(init=init, g=gs,
                    logs=[{k: v.detach() for k, v in log.items()}
                          for log in logs],
                    params={n: p.detach().clone()
                            for n, p in model.named_parameters()}),
               f'{result_file}.{rank}')
    dist.destroy_process_group()


def _reference(init, kind, rho=0.05, lr=0.01):
    """Independent two-rank step: each rank's eq. 17 on its own batch, the
    gradients averaged (DDP), SGD (after SAM's ascent on the averaged
    gradient), g = norm of the averaged first gradient."""
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope

    from dfertools.registry import MODELS
    with DefaultScope.overwrite_default_scope('dfertools'):
        model = MODELS.build(tiny_hdf_cfg())
    model.load_state_dict(init)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    data = ClipDataset(n=8)
    g, gs = 1.0, []
    for step in range(2):
        batches = [model.data_preprocessor(pseudo_collate(
            [data[4 * step + 2 * r], data[4 * step + 2 * r + 1]]), True)
            for r in (0, 1)]
        lam = (10 * g / (g + 1), 0.1 / (g + 1))

        def mean_grad():
            total = [torch.zeros_like(p) for p in params]
            for b in batches:
                t = model.loss_terms(b['inputs'], b['data_samples'])
                grads = torch.autograd.grad(
                    lam[0] * t['ce'] + lam[1] * t['sc'], params,
                    allow_unused=True)
                for acc, gr in zip(total, grads):
                    if gr is not None:
                        acc += gr / 2
            return total

        first = mean_grad()
        update = first
        if kind == 'SAMOptimWrapper':
            norm = torch.sqrt(sum(x.pow(2).sum() for x in first))
            e = [x * rho / (norm + 1e-12) for x in first]
            with torch.no_grad():
                for p, d in zip(params, e):
                    p.add_(d)
            update = mean_grad()
            with torch.no_grad():
                for p, d in zip(params, e):
                    p.sub_(d)
        with torch.no_grad():
            for p, d in zip(params, update):
                p.sub_(lr * d)
        g = torch.sqrt(sum(x.pow(2).sum() for x in first)).item()
        gs.append(g)
    return gs, dict(model.named_parameters())


@pytest.mark.slow
@pytest.mark.parametrize('kind', ['GradNormOptimWrapper', 'SAMOptimWrapper'])
def test_hdf_on_two_processes_with_the_stock_ddp_wrapper(tmp_path, kind):
    """MMEngine's MMDistributedDataParallel (gloo, 2 ranks) trains HDF: both
    ranks keep equal weights and g, g is the norm of the all-reduced
    gradient, and the update equals an independent computation."""
    import torch.multiprocessing as mp
    mp.spawn(_ddp_worker, args=(str(tmp_path / 'pg'), str(tmp_path / 'r'),
                                kind), nprocs=2)
    r = [torch.load(tmp_path / f'r.{i}', weights_only=True) for i in (0, 1)]
    for a, b in zip(r[0]['g'], r[1]['g']):
        assert torch.equal(a, b)
    for name, p in r[0]['params'].items():
        assert torch.equal(p, r[1]['params'][name]), name
    assert r[0]['logs'][1]['dsm_g'].item() == pytest.approx(
        r[0]['g'][0].item(), rel=1e-6)  # step 2 uses step 1's g
    gs, params = _reference(r[0]['init'], kind)
    assert [g.item() for g in r[0]['g']] == pytest.approx(gs, rel=1e-4)
    for name, p in params.items():
        assert torch.allclose(r[0]['params'][name], p, rtol=1e-4,
                              atol=1e-6), name
