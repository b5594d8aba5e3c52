"""A DataLoader that loads samples in threads (docs/benchmarks.md).

Select it in a config with ``worker_type='thread'`` in a dataloader dict;
``num_workers`` is then the number of loader threads::

    train_dataloader = dict(batch_size=8, num_workers=2,
                            worker_type='thread', ...)

Why: decoding (OpenCV/FFmpeg) and resizing release the GIL, so threads
load clips in parallel, and they hand the clip to the training loop without
the shared-memory copy, the page faults and the pickling a worker process
needs (1.4 ms of ~5 ms per 16x160x160 clip on our CPU benchmark), nor the
fork and per-worker memory. Worker processes remain the default
(``worker_type='process'``); they win when the pipeline spends its time in
Python code that holds the GIL.

Reproducibility: sample ``k`` of an epoch is loaded inside
:func:`~dfertools.datasets.sample_rng.sample_rng_scope` with a seed from
``(base seed, rank, k)``. The base seed is drawn from torch's main RNG when
the epoch's iterator is created, as :class:`torch.utils.data.DataLoader`
draws its workers' base seed, so it follows ``randomness.seed`` and an
exact resume (:class:`~dfertools.engine.rng_state_hook.RNGStateHook`). The
batches are therefore the same whatever the number of threads and their
timing (``num_workers=0`` loads in the calling thread, with the same seeds).
This needs random transforms that draw from
:func:`~dfertools.datasets.sample_rng.sample_rng`; the loader checks the
dataset's pipeline on its first sample and refuses transforms that draw
from a global RNG (numpy's, python's or torch's), naming them.
"""
import threading
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional

import torch
from torch.utils.data._utils.pin_memory import pin_memory

from .sample_rng import global_rng_users, sample_rng_scope, sample_seed

# dataloader keys that only mean something for worker processes
_PROCESS_ONLY = ('persistent_workers', 'worker_init_fn',
                 'multiprocessing_context', 'timeout',
                 'disable_subprocess_warning')


class ThreadDataLoader:
    """Batches of ``dataset`` in ``batch_sampler``'s order, loaded by
    ``num_threads`` threads with ``prefetch_factor`` batches per thread in
    flight (``num_threads=0``: in the calling thread).

    Exposes ``dataset``, ``sampler``, ``batch_sampler``, ``batch_size``,
    ``num_workers`` (the threads) and ``len()`` as a DataLoader does, and
    ``samples_loaded``, the number of samples loaded so far (benchmarks).
    """

    def __init__(self, dataset, batch_sampler, collate_fn: Callable,
                 num_threads: int = 2, prefetch_factor: int = 2,
                 pin_memory: bool = False, rank: int = 0,
                 check_rng: bool = True) -> None:
        if num_threads < 0 or prefetch_factor < 1:
            raise ValueError('ThreadDataLoader: num_workers must be >= 0 and '
                             f'prefetch_factor >= 1, got {num_threads} and '
                             f'{prefetch_factor}.')
        self.dataset = dataset
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn
        self.num_workers = int(num_threads)
        self.prefetch_factor = int(prefetch_factor)
        self.pin_memory = bool(pin_memory) and torch.cuda.is_available()
        self.rank = int(rank)
        self.samples_loaded = 0
        self._count_lock = threading.Lock()
        self._pool: Optional[ThreadPoolExecutor] = None
        if check_rng:
            check_pipeline_rng(dataset)

    @property
    def sampler(self):
        return getattr(self.batch_sampler, 'sampler', None)

    @property
    def batch_size(self):
        return getattr(self.batch_sampler, 'batch_size', None)

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __iter__(self) -> '_ThreadLoaderIter':
        # one draw from torch's main RNG per epoch, as DataLoader's base seed
        base_seed = int(torch.empty((), dtype=torch.int64).random_().item())
        return _ThreadLoaderIter(self, base_seed)

    def load(self, base_seed: int, position: int, index: int):
        """Sample ``index``, at ``position`` in the epoch, with its own RNG."""
        try:
            with sample_rng_scope(sample_seed(base_seed, self.rank,
                                              position)):
                sample = self.dataset[index]
        except Exception as err:
            err.add_note(f'(while ThreadDataLoader loaded sample {index} of '
                         f'{type(self.dataset).__name__})')
            raise
        with self._count_lock:
            self.samples_loaded += 1
        return sample

    def pool(self) -> ThreadPoolExecutor:
        """The loader's threads, started once and kept across epochs."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.num_workers,
                                            thread_name_prefix='dfer-loader')
        return self._pool

    def shutdown(self) -> None:
        """Stop the threads (queued samples are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __del__(self):
        if getattr(self, '_pool', None) is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


class _ThreadLoaderIter:
    """One epoch of a :class:`ThreadDataLoader`."""

    def __init__(self, loader: ThreadDataLoader, base_seed: int) -> None:
        self.loader = loader
        self.base_seed = base_seed
        self._batches = iter(loader.batch_sampler)
        self._position = 0
        self._pending = deque()
        if loader.num_workers > 0:
            for _ in range(loader.prefetch_factor * loader.num_workers):
                if not self._submit_next():
                    break

    def _next_indices(self):
        indices = next(self._batches, None)
        if indices is None:
            return None
        start, self._position = (self._position,
                                 self._position + len(indices))
        return list(enumerate(indices, start))

    def _submit_next(self) -> bool:
        jobs = self._next_indices()
        if jobs is None:
            return False
        pool = self.loader.pool()
        self._pending.append([pool.submit(self.loader.load, self.base_seed,
                                          pos, idx) for pos, idx in jobs])
        return True

    def __iter__(self):
        return self

    def __next__(self):
        loader = self.loader
        try:
            if loader.num_workers == 0:
                jobs = self._next_indices()
                if jobs is None:
                    raise StopIteration
                samples = [loader.load(self.base_seed, pos, idx)
                           for pos, idx in jobs]
            else:
                if not self._pending:
                    raise StopIteration
                futures = self._pending.popleft()
                self._submit_next()  # keep the threads busy meanwhile
                samples = [f.result() for f in futures]
        except BaseException:
            self.close()
            raise
        batch = loader.collate_fn(samples)
        if loader.pin_memory:
            batch = pin_memory(batch)
        return batch

    def __len__(self) -> int:
        return len(self.loader)

    def close(self) -> None:
        """Drop the batches still queued (an epoch left early)."""
        while self._pending:
            for f in self._pending.popleft():
                f.cancel()

    def __del__(self):
        self.close()


def check_pipeline_rng(dataset, max_probes: int = 3) -> None:
    """Raise if a transform of ``dataset.pipeline`` draws from a global RNG
    (checked on the first readable of its first ``max_probes`` samples;
    datasets without ``pipeline.transforms`` are not checked)."""
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms',
                         None)
    if not transforms or not hasattr(dataset, 'get_data_info'):
        return
    last_err = None
    for i in range(min(max_probes, len(dataset))):
        try:
            users = global_rng_users(transforms, dataset.get_data_info(i))
            break
        except Exception as err:  # unreadable sample: try the next one
            last_err = err
    else:
        warnings.warn('ThreadDataLoader: could not check the pipeline for '
                      f'global RNG use (no readable sample among the first '
                      f'{max_probes}: {last_err}).')
        return
    if users:
        raise ValueError(
            'ThreadDataLoader (worker_type=\'thread\'): these transforms of '
            f'the {type(dataset).__name__} pipeline draw from a global RNG, '
            f'which the loader threads share: {users}. Their draws would '
            'depend on thread timing, so runs and resumes would not be '
            'reproducible. Use transforms that draw from '
            'dfertools.datasets.sample_rng.sample_rng() (e.g. '
            'RandomResizedCropFlip instead of RandomResizedCrop + Resize + '
            "Flip), load in worker processes (worker_type='process'), or "
            'set check_rng=False in the dataloader config to accept it.')


def build_thread_loader(cfg: dict, build_dataloader: Callable, seed=None,
                        diff_rank_seed: bool = False,
                        rank: int = 0) -> ThreadDataLoader:
    """A :class:`ThreadDataLoader` from a dataloader config whose
    ``worker_type='thread'`` ``DFERRunner.build_dataloader`` has already
    removed; ``build_dataloader`` (MMEngine's ``Runner.build_dataloader``)
    builds its dataset, sampler and collate function."""
    cfg = dict(cfg)
    threads = cfg.pop('num_workers', 0)
    prefetch = cfg.pop('prefetch_factor', None) or 2
    pin = cfg.pop('pin_memory', False)
    check = cfg.pop('check_rng', True)
    for key in _PROCESS_ONLY:
        cfg.pop(key, None)
    base = build_dataloader(dict(cfg, num_workers=0), seed=seed,
                            diff_rank_seed=diff_rank_seed)
    return ThreadDataLoader(base.dataset, base.batch_sampler,
                            base.collate_fn, num_threads=threads,
                            prefetch_factor=prefetch, pin_memory=pin,
                            rank=rank, check_rng=check)
