"""Per-sample generators for the data pipeline (dfertools/datasets/sample_rng.py)."""
import random
import threading

import numpy as np
import torch

from dfertools.datasets.sample_rng import (global_rng_users, sample_rng,
                                           sample_rng_scope, sample_seed)
from dfertools.datasets.transforms import DFERSampleFrames


def test_outside_a_scope_transforms_draw_from_numpy_global_rng():
    assert sample_rng() is np.random
    np.random.seed(3)
    a = sample_rng().randint(0, 1000, size=5)
    np.random.seed(3)
    assert np.array_equal(a, np.random.randint(0, 1000, size=5))


def test_scope_gives_a_seeded_generator_and_restores_the_outer_one():
    with sample_rng_scope([1, 2]) as rng:
        assert sample_rng() is rng
        first = sample_rng().rand(4)
        with sample_rng_scope([7]):
            inner = sample_rng().rand(4)
        assert sample_rng() is rng  # outer scope back
    assert sample_rng() is np.random
    expect = np.random.RandomState(np.array([1, 2], np.uint32)).rand(4)
    assert np.array_equal(first, expect)
    assert not np.array_equal(inner, first)


def test_scopes_are_per_thread():
    seen = {}

    def worker(name, seed):
        with sample_rng_scope([seed]):
            seen[name] = sample_rng().rand(3)

    with sample_rng_scope([99]):
        threads = [threading.Thread(target=worker, args=(n, s))
                   for n, s in (('a', 1), ('b', 2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        mine = sample_rng().rand(3)
    assert np.array_equal(seen['a'], np.random.RandomState(1).rand(3))
    assert np.array_equal(seen['b'], np.random.RandomState(2).rand(3))
    assert np.array_equal(mine, np.random.RandomState(99).rand(3))


def test_sample_seed_depends_on_every_input_only():
    a = sample_seed(5, 0, 10)
    assert a.dtype == np.uint32 and a.shape == (4, )
    assert np.array_equal(a, sample_seed(5, 0, 10))
    others = [sample_seed(6, 0, 10), sample_seed(5, 1, 10),
              sample_seed(5, 0, 11), sample_seed(5 + (1 << 64), 0, 10)]
    assert all(not np.array_equal(a, o) for o in others[:3])
    assert np.array_equal(a, others[3])  # base seed taken mod 2**64


class _Draw:
    """A transform drawing from ``source`` (or from sample_rng())."""

    def __init__(self, source):
        self.source = source

    def __call__(self, results):
        if self.source == 'numpy':
            np.random.rand()
        elif self.source == 'python':
            random.random()
        elif self.source == 'torch':
            torch.rand(1)
        else:
            sample_rng().rand()
        return results

    def __repr__(self):
        return f'Draw({self.source})'


def test_global_rng_users_names_each_global_draw_and_restores_states():
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    expect = (np.random.rand(), random.random(), float(torch.rand(1)))
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    users = global_rng_users([_Draw(s) for s in ('sample', 'numpy', 'sample',
                                                  'python', 'torch')], {})
    assert users == ['Draw(numpy)', 'Draw(python)', 'Draw(torch)']
    # the probe left every global generator where it was
    assert (np.random.rand(), random.random(), float(torch.rand(1))) == expect


def test_dfer_sample_frames_draws_its_window_from_the_sample_rng():
    t = DFERSampleFrames(clip_len=4, frame_interval=2)
    starts = []
    for _ in range(2):
        with sample_rng_scope([42]):
            starts.append(t(dict(total_frames=100))['frame_inds'][0])
    ref = np.random.RandomState(np.array([42], np.uint32)).randint(0, 94)
    assert starts == [ref, ref]
    assert global_rng_users([t], dict(total_frames=100)) == []
