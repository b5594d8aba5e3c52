"""Soak test: training on a SynthDFER list with 5% corrupted videos and
DataLoader workers — no crash, every corrupted file reported in
``bad_samples.txt`` and the log, resident memory (main process and
workers, read from /proc) flat after warm-up.

The CI version is short; the long one (2,000 iterations, 4 workers) is
``slow``; its figures are recorded in docs/reliability.md.
"""
import glob
import json
import os
import re
import time

import pytest
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope

from dfertools.datasets import DFERDataset
from dfertools.datasets.bad_samples import read_bad_paths
from dfertools.datasets.synthetic_writer import generate
from tests.fixtures.data_toys import (corrupt, tiny_video_runner,
                                      train_pipeline)


def rss_mb(pid) -> float:
    """Resident set size of ``pid`` in MiB (``VmRSS`` of /proc/PID/status)."""
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024
    except OSError:   # the process just exited
        pass
    return 0.0


def worker_pids(runner):
    """PIDs of the train DataLoader's worker processes (not every child of
    the test process: other tests may have left children being reaped)."""
    iterator = runner.train_loop.dataloader_iterator._iterator
    return [w.pid for w in getattr(iterator, '_workers', [])]


class RSSProbe(Hook):
    """Samples the RSS of the main process and of its DataLoader workers."""

    def __init__(self, every):
        self.every, self.samples = every, []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if self.every_n_train_iters(runner, self.every):
            main = os.getpid()
            workers = [rss_mb(p) for p in worker_pids(runner)]
            self.samples.append(dict(iter=runner.iter + 1,
                                     main=rss_mb(main), workers=workers))


def make_soak_list(root, num_videos, bad_fraction=0.05):
    """SynthDFER (32×32, 8-12 frames) with ``bad_fraction`` of its videos
    corrupted (truncated / emptied / random bytes, in turn)."""
    generate(root, seed=7, num_labeled=num_videos, num_unlabeled=0, size=32,
             frames=(8, 12), workers=1, progress=False)
    ann = os.path.join(root, 'annotations', 'all.txt')
    with open(ann) as f:
        paths = [os.path.join(root, line.split()[0]) for line in f]
    step = int(round(1 / bad_fraction))
    bad = paths[step // 2::step]
    kinds = ('truncate', 'empty', 'random')
    for i, path in enumerate(bad):
        corrupt(path, kinds[i % 3], seed=i)
    return ann, bad


def run_soak(work_dir, iters, workers, num_videos, batch_size=4):
    init_default_scope('dfertools')
    root = os.path.join(work_dir, 'data')
    ann, bad = make_soak_list(root, num_videos)
    dataset = DFERDataset(ann, data_root=root,
                          pipeline=train_pipeline(clip_len=4, size=32,
                                                  augment=True),
                          dataset_name='synth_dfer', max_bad_fraction=0.10,
                          bad_fraction_min_samples=200)
    probe = RSSProbe(every=max(1, iters // 20))
    runner = tiny_video_runner(
        work_dir,
        dict(dataset=dataset, batch_size=batch_size, num_workers=workers,
             persistent_workers=True,
             sampler=dict(type='InfiniteSampler', shuffle=True)),
        train_cfg=dict(by_epoch=False, max_iters=iters),
        custom_hooks=[dict(type='BadSampleHook', interval=iters // 2),
                      probe], log_interval=50,
        log_processor=dict(by_epoch=False), randomness=dict(seed=0),
        log_level='INFO', experiment_name=f'soak_{iters}_{workers}')
    start = time.time()
    runner.train()
    seconds = time.time() - start
    # stop the workers now: left to garbage collection, a Runner's
    # DataLoader workers take 5 s each to be joined (seen with torch 2.13)
    runner.train_loop.dataloader_iterator._iterator._shutdown_workers()
    reported = read_bad_paths(os.path.join(work_dir, 'bad_samples.txt'))
    log_text = ''.join(open(p).read() for p in glob.glob(
        os.path.join(runner.log_dir, '*.log')))
    attempts, failures = dataset.bad_samples.totals()
    result = dict(iters=iters, workers=workers, videos=num_videos,
                  corrupted=len(bad), reported=len(reported),
                  loads=attempts, failed_loads=failures,
                  seconds=round(seconds, 1), rss=probe.samples)
    return result, bad, reported, log_text


def check_soak(result, bad, reported, log_text, warmup):
    # every corrupted file reported once in bad_samples.txt and in the log
    assert sorted(reported) == sorted(bad)
    for path in bad:
        assert f'Unreadable video {path} ' in log_text
    assert re.search(r'\d+ bad samples in the last \d+ iterations',
                     log_text)
    assert 0 < result['failed_loads'] < 0.1 * result['loads']
    # resident memory flat after warm-up (generous bound: +25% and +64 MiB)
    samples = [s for s in result['rss'] if s['iter'] >= warmup]
    first, last = samples[0], samples[-1]
    assert len(last['workers']) == result['workers']
    assert last['main'] <= first['main'] * 1.25 + 64, result['rss']
    assert sum(last['workers']) <= sum(first['workers']) * 1.25 + 64, \
        result['rss']


def test_soak_short(tmp_path):
    result, bad, reported, log_text = run_soak(
        str(tmp_path), iters=80, workers=2, num_videos=40)
    assert len(bad) == 2
    check_soak(result, bad, reported, log_text, warmup=20)


@pytest.mark.slow
def test_soak_long(tmp_path):
    result, bad, reported, log_text = run_soak(
        str(tmp_path), iters=2000, workers=4, num_videos=200)
    assert len(bad) == 10
    check_soak(result, bad, reported, log_text, warmup=400)
    summary = {k: v for k, v in result.items() if k != 'rss'}
    first = next(s for s in result['rss'] if s['iter'] >= 400)
    summary.update(rss_main_mb=[round(first['main']),
                                round(result['rss'][-1]['main'])],
                   rss_workers_mb=[round(sum(first['workers'])),
                                   round(sum(result['rss'][-1]['workers']))])
    summary['rss_main_series_mb'] = [round(s['main']) for s in result['rss']]
    summary['rss_workers_series_mb'] = [round(sum(s['workers']))
                                        for s in result['rss']]
    print('SOAK', json.dumps(summary))
