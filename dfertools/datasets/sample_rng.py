"""Per-sample random number generators for the data pipeline.

Random transforms usually draw from numpy's global RNG. That is fine in
DataLoader worker *processes* (each has its own copy, seeded per epoch by
:mod:`dfertools.engine.worker_seed`), but threads share it: with
:class:`~dfertools.datasets.thread_loader.ThreadDataLoader` the crop of a
clip would depend on which thread drew first, and neither a rerun nor an
exact resume would reproduce it.

The thread loader therefore opens :func:`sample_rng_scope` around every
sample it loads, with a seed that depends only on the run's seed, the rank
and the sample's position in the epoch. Random transforms call
:func:`sample_rng`, which returns that sample's generator inside a scope and
numpy's global RNG (the ``numpy.random`` module, whose functions have the
same names and arguments as ``RandomState``'s) outside one — so in worker
processes and in plain scripts they behave exactly as before.

:func:`global_rng_users` finds transforms that still draw from a global RNG
(numpy's, python's ``random`` or torch's), so the thread loader can refuse
them with a message that names them instead of silently losing
reproducibility.
"""
import random
import threading
from contextlib import contextmanager
from typing import Callable, List, Sequence

import numpy as np
import torch

_local = threading.local()


@contextmanager
def sample_rng_scope(seed: Sequence[int]):
    """Within the block, :func:`sample_rng` of this thread returns a fresh
    ``np.random.RandomState(seed)``. Scopes nest; the outer one is restored
    on exit."""
    previous = getattr(_local, 'rng', None)
    _local.rng = np.random.RandomState(np.asarray(seed, dtype=np.uint32))
    try:
        yield _local.rng
    finally:
        _local.rng = previous


def sample_rng():
    """The generator a random transform should draw from: the current
    sample's ``RandomState`` under :func:`sample_rng_scope`, else the
    ``numpy.random`` module (numpy's global RNG, same method names)."""
    rng = getattr(_local, 'rng', None)
    return np.random if rng is None else rng


def bind_sample_rng(fn: Callable) -> Callable:
    """``fn`` wrapped to run with the *calling* thread's current sample
    generator, for work handed to another thread (the dataset's
    ``decode_timeout`` loads a sample in a helper thread)."""
    rng = getattr(_local, 'rng', None)

    def bound(*args, **kwargs):
        previous = getattr(_local, 'rng', None)
        _local.rng = rng
        try:
            return fn(*args, **kwargs)
        finally:
            _local.rng = previous
    return bound


def sample_seed(base_seed: int, rank: int, position: int) -> np.ndarray:
    """The 4 x uint32 seed of the sample at ``position`` of an epoch whose
    loader drew ``base_seed`` (well mixed by ``np.random.SeedSequence``)."""
    seq = np.random.SeedSequence([base_seed % (1 << 64), rank, position])
    return seq.generate_state(4, dtype=np.uint32)


def _global_states() -> tuple:
    np_state = np.random.get_state()
    return (np_state[1].tobytes(), np_state[2:], random.getstate(),
            torch.get_rng_state().numpy().tobytes())


def global_rng_users(transforms: List[Callable], results: dict) -> List[str]:
    """Run ``transforms`` on ``results`` one by one inside a sample scope
    and return the ``repr`` of each that changed numpy's, python's or
    torch's global RNG state (an empty list when all draw from
    :func:`sample_rng`). The global states are restored afterwards."""
    saved = (np.random.get_state(), random.getstate(), torch.get_rng_state())
    users = []
    try:
        with sample_rng_scope([0]):
            for t in transforms:
                before = _global_states()
                results = t(results)
                if _global_states() != before:
                    users.append(repr(t))
                if results is None:
                    break
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])
        torch.set_rng_state(saved[2])
    return users
