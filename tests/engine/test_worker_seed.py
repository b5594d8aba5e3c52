"""DataLoader workers draw new random numbers every epoch (DFERRunner), yet
stay reproducible for a fixed seed and follow an exact resume."""
import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from torch.utils.data import Dataset

from dfertools.engine.runner import DFERRunner
from dfertools.engine.worker_seed import worker_seeds
from tests.fixtures.resume_toys import final_state as _final
from tests.fixtures.resume_toys import resume_cfg as _cfg


class RandomDraws(Dataset):
    """Each item is one draw of numpy's global generator (the source most
    mmaction/mmcv augmentations use)."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return float(np.random.rand())


def _epochs(runner_cls, n_epochs=2, seed=0):
    torch.manual_seed(seed)
    loader = runner_cls.build_dataloader(
        dict(dataset=RandomDraws(), batch_size=2, num_workers=2,
             sampler=dict(type='DefaultSampler', shuffle=False),
             collate_fn=dict(type='default_collate')), seed=seed)
    return [sorted(float(v) for b in loader for v in b)
            for _ in range(n_epochs)]


def test_worker_seeds_depend_on_initial_seed_and_rank():
    assert worker_seeds(5, 0) == worker_seeds(5, 0)
    seeds = {worker_seeds(s, r) for s in (5, 6, 2**63 + 5) for r in (0, 1)}
    assert len(seeds) == 6
    s32, s64 = worker_seeds(5, 0)
    assert 0 <= s32 < 2**32 and 0 <= s64 < 2**63


def test_mmengine_default_replays_the_same_draws_every_epoch():
    first, second = _epochs(Runner)
    assert first == second  # the behaviour DFERRunner fixes


def test_dfer_runner_workers_draw_anew_each_epoch_reproducibly():
    first, second = _epochs(DFERRunner)
    assert first != second
    assert _epochs(DFERRunner) == [first, second]  # same seed, same draws


@pytest.mark.parametrize('workers', [0, 2])
def test_exact_resume_with_dfer_runner(tmp_path, workers):
    from tests.fixtures.resume_toys import InterruptAfterEpoch, Interrupt
    straight = DFERRunner(**_cfg(tmp_path / 'a', workers=workers,
                                 experiment_name=f'straight_{workers}'))
    straight.train()
    w_a, m_a = _final(straight)
    cut = DFERRunner(**_cfg(tmp_path / 'b', workers=workers,
                            custom_hooks=[InterruptAfterEpoch(1)],
                            experiment_name=f'cut_{workers}'))
    with pytest.raises(Interrupt):
        cut.train()
    resumed = DFERRunner(**_cfg(tmp_path / 'b', workers=workers, resume=True,
                                experiment_name=f'resumed_{workers}'))
    resumed.train()
    w_b, m_b = _final(resumed)
    assert all(torch.equal(w_a[k], w_b[k]) for k in w_a)
    assert m_a == m_b
