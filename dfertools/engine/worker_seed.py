"""Seeding of DataLoader workers that changes every epoch
(docs/design.md, 'Reliability principles').

MMEngine's default ``worker_init_fn`` seeds python ``random``, numpy and
torch in worker ``w`` of rank ``r`` with ``seed + num_workers * r + w`` —
the same number at every epoch. With non-persistent workers (the default)
the workers are re-created each epoch, so every epoch replays the same
random stream per worker: a given worker draws the same crop boxes, flips
and jitter in every epoch, only attached to different samples. Augmentation
is less diverse than the config suggests.

:func:`epoch_worker_init_fn` derives the worker seeds from
``torch.initial_seed()`` inside the worker instead. PyTorch sets that to
``base_seed + worker_id``, where ``base_seed`` is drawn from the main
process's torch generator each time a DataLoader iterator is created, i.e.
once per epoch. The seeds therefore

* differ between epochs, workers and (mixed in explicitly) ranks;
* are reproducible for a fixed ``randomness.seed``, and still follow an
  exact resume, because the main process's torch state is saved and restored
  by :class:`~dfertools.engine.rng_state_hook.RNGStateHook`.

:class:`~dfertools.engine.runner.DFERRunner` uses it whenever a seed is set
and the dataloader config names no ``worker_init_fn`` of its own.
"""
import random
import warnings

import numpy as np
import torch

from dfertools.registry import FUNCTIONS


def worker_seeds(initial_seed: int, rank: int) -> tuple:
    """``(seed32, seed64)`` for numpy/random and torch, from the worker's
    torch initial seed and the process rank (pure, so it can be tested)."""
    seq = np.random.SeedSequence([initial_seed % (1 << 64), rank])
    lo, hi = (int(v) for v in seq.generate_state(2, dtype=np.uint32))
    return lo, (hi << 32 | lo) & ((1 << 63) - 1)


@FUNCTIONS.register_module()
def epoch_worker_init_fn(worker_id: int, rank: int = 0,
                         disable_subprocess_warning: bool = False,
                         **_ignored) -> None:
    """Seed python ``random``, numpy and torch in a DataLoader worker from
    ``torch.initial_seed()`` (new every epoch) and ``rank``."""
    seed32, seed64 = worker_seeds(torch.initial_seed(), rank)
    random.seed(seed32)
    np.random.seed(seed32)
    torch.manual_seed(seed64)
    if disable_subprocess_warning and worker_id != 0:
        warnings.simplefilter('ignore')
