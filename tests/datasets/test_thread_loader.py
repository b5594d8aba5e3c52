"""ThreadDataLoader (worker_type='thread'): the same batches whatever the
thread count and timing, new draws every epoch, reproducible for a seed,
exact resume, clear errors."""
import time

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from dfertools.datasets import DFERDataset
from dfertools.datasets.sample_rng import sample_rng
from dfertools.datasets.thread_loader import ThreadDataLoader
from dfertools.engine.runner import DFERRunner
from tests.fixtures.data_toys import make_video_list
from tests.fixtures.engine_toys import ToyDataset
from tests.fixtures.resume_toys import (Interrupt, InterruptAfterEpoch,
                                        final_state as _final,
                                        resume_cfg as _cfg)


class _Jitter:
    """A random transform drawing from the sample's generator; sleeps a
    random time so that threads finish out of order."""

    def __call__(self, results):
        time.sleep(float(np.random.default_rng().uniform(0, 0.004)))
        results['value'] = results['index'] * 1000 + sample_rng().rand()
        return results


class _GlobalDraw:

    def __call__(self, results):
        results['value'] = np.random.rand()
        return results

    def __repr__(self):
        return 'GlobalDraw()'


class _Items(torch.utils.data.Dataset):

    def __init__(self, n=12, transforms=(_Jitter(), ), fail_at=None):
        self.n, self.fail_at = n, fail_at
        self.pipeline = Compose(list(transforms))

    def __len__(self):
        return self.n

    def get_data_info(self, i):
        return dict(index=i)

    def __getitem__(self, i):
        if i == self.fail_at:
            raise OSError(f'cannot read item {i}')
        return self.pipeline(self.get_data_info(i))['value']


def _loader(threads, dataset=None, shuffle=True, seed=0, **kw):
    torch.manual_seed(seed)
    cfg = dict(dataset=dataset or _Items(), batch_size=3, num_workers=threads,
               worker_type='thread', persistent_workers=True,
               sampler=dict(type='DefaultSampler', shuffle=shuffle),
               collate_fn=dict(type='default_collate'))
    return DFERRunner.build_dataloader(dict(cfg, **kw), seed=seed)


def _epoch(loader):
    return [b.tolist() for b in loader]


def test_batches_do_not_depend_on_thread_count_or_timing():
    epochs = {}
    for threads in (0, 1, 3):
        loader = _loader(threads)
        assert isinstance(loader, ThreadDataLoader) and len(loader) == 4
        epochs[threads] = [_epoch(loader), _epoch(loader)]
        assert loader.samples_loaded == 24
        loader.shutdown()
    assert epochs[0] == epochs[1] == epochs[3]
    first, second = epochs[0]
    # the sampler's order; a new draw per sample and per epoch
    assert sorted(int(v // 1000) for b in first for v in b) == list(range(12))
    assert len({v % 1 for b in first for v in b}) == 12
    assert {v % 1 for b in first for v in b}.isdisjoint(
        {v % 1 for b in second for v in b})


def test_seed_changes_the_draws():
    a = _epoch(_loader(2, seed=0))
    b = _epoch(_loader(2, seed=1))
    assert a != b and _epoch(_loader(2, seed=0)) == a


def test_refuses_a_transform_on_a_global_rng_and_names_it():
    with pytest.raises(ValueError, match=r"GlobalDraw\(\).*sample_rng"):
        _loader(2, dataset=_Items(transforms=[_GlobalDraw()]))
    loader = _loader(2, dataset=_Items(transforms=[_GlobalDraw()]),
                     check_rng=False)  # accepted when asked
    assert len(_epoch(loader)) == 4


def test_an_error_in_a_thread_reaches_the_caller_with_the_index():
    loader = _loader(2, dataset=_Items(fail_at=7), shuffle=False)
    it = iter(loader)
    assert len(next(it)) == 3 and len(next(it)) == 3
    with pytest.raises(OSError, match='cannot read item 7') as info:
        next(it)
    assert 'sample 7' in ''.join(getattr(info.value, '__notes__', []))
    loader.shutdown()


def test_unknown_worker_type_is_refused():
    with pytest.raises(ValueError, match="'process'.*'thread'.*'fibres'"):
        DFERRunner.build_dataloader(dict(
            dataset=_Items(), batch_size=2, worker_type='fibres',
            sampler=dict(type='DefaultSampler', shuffle=False)))


def test_real_videos_match_in_process_loading(tmp_path):
    """SynthDFER-shaped pipeline on real mp4s: 2 threads = 0 threads."""
    init_default_scope('dfertools')
    ann, _ = make_video_list(tmp_path, 6, frames=12)
    pipeline = [
        dict(type='VideoInit', backend='cv2'),
        dict(type='DFERSampleFrames', clip_len=4, frame_interval=1),
        dict(type='VideoDecode'),
        dict(type='RandomResizedCropFlip', size=16, area_range=(0.5, 1.0)),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')]
    batches = {}
    for threads in (0, 2):
        loader = _loader(threads, dataset=DFERDataset(ann, pipeline=pipeline),
                         collate_fn=dict(type='pseudo_collate'))
        batches[threads] = [torch.stack(b['inputs']) for b in loader]
        loader.shutdown()
    assert [x.shape for x in batches[0]] == [(3, 1, 3, 4, 16, 16)] * 2
    assert all(torch.equal(a, b) for a, b in zip(batches[0], batches[2]))


class _SampleRngToy(ToyDataset):
    """ToyDataset plus flip, scale and noise drawn from the sample RNG."""

    def __getitem__(self, i):
        item = super().__getitem__(i)
        rng = sample_rng()
        x = item['inputs']
        if rng.rand() < 0.5:
            x = x.flip(0)
        noise = torch.from_numpy(rng.standard_normal(4)).float()
        item['inputs'] = x * float(rng.uniform(0.8, 1.2)) + 0.1 * noise
        return item


def _thread_cfg(work_dir, **kw):
    cfg = _cfg(work_dir, **kw)
    for key, n in (('train_dataloader', 8), ('val_dataloader', 6)):
        cfg[key] = dict(cfg[key], dataset=_SampleRngToy(n=n), num_workers=2,
                        worker_type='thread')
    return cfg


def test_exact_resume_with_thread_loading(tmp_path):
    straight = DFERRunner(**_thread_cfg(tmp_path / 'a',
                                        experiment_name='straight_t'))
    straight.train()
    w_a, m_a = _final(straight)
    cut = DFERRunner(**_thread_cfg(tmp_path / 'b',
                                   custom_hooks=[InterruptAfterEpoch(1)],
                                   experiment_name='cut_t'))
    with pytest.raises(Interrupt):
        cut.train()
    resumed = DFERRunner(**_thread_cfg(tmp_path / 'b', resume=True,
                                       experiment_name='resumed_t'))
    resumed.train()
    w_b, m_b = _final(resumed)
    assert all(torch.equal(w_a[k], w_b[k]) for k in w_a)
    assert m_a == m_b
