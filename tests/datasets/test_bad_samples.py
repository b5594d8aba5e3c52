"""Bad-sample accounting across DataLoader workers (and loader threads):
shared counts, the bad-path file, deterministic substitution, the fraction
budget (in the workers and at epoch end through BadSampleHook)."""
import copy
import logging
import os

import pytest
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

from dfertools.datasets import (BadSampleHook, DFERDataset,
                                TooManyBadSamplesError)
from dfertools.datasets.bad_samples import read_bad_paths
from dfertools.datasets.thread_loader import ThreadDataLoader
from dfertools.registry import HOOKS
from tests.fixtures.data_toys import (make_video_list, tiny_video_runner,
                                      train_pipeline)

BAD = (2, 3, 7)     # 2 and 3 are consecutive: a substitute may be bad too


@pytest.fixture(scope='module')
def video_list(tmp_path_factory):
    init_default_scope('dfertools')
    root = tmp_path_factory.mktemp('bad_list')
    return make_video_list(str(root), 10, bad=BAD)


def _dataset(ann, **kwargs):
    init_default_scope('dfertools')
    kwargs.setdefault('max_bad_fraction', 1.0)
    return DFERDataset(ann, pipeline=train_pipeline(), **kwargs)


def _ids(ds, num_workers, threads=False):
    if threads:  # ThreadDataLoader: num_workers threads, in this process
        loader = ThreadDataLoader(
            ds, BatchSampler(SequentialSampler(ds), 2, False),
            pseudo_collate, num_threads=num_workers)
        return [s.video_id for b in loader for s in b['data_samples']]
    loader = DataLoader(ds, batch_size=2, num_workers=num_workers,
                        collate_fn=pseudo_collate, shuffle=False)
    batches = iter(loader)
    try:
        return [s.video_id for b in batches for s in b['data_samples']]
    finally:   # after a worker error, do not leave the join to the GC
        if num_workers:     # (which waits 5 s per worker)
            batches._shutdown_workers()


@pytest.mark.parametrize('threads', [False, True], ids=['processes',
                                                         'threads'])
def test_counts_and_paths_reach_the_main_process(video_list, tmp_path,
                                                 threads):
    ann, bad_paths = video_list
    ds = _dataset(ann)
    ds.bad_samples.spool_file = str(tmp_path / 'bad_samples.txt')
    assert ds.bad_samples.totals() == (0, 0)
    ids = _ids(ds, num_workers=2, threads=threads)
    assert len(ids) == 10
    # 10 items; 2 -> 3 (bad) -> 5, 3 -> 4, 7 -> 8: 3 + 1 extra failures
    assert ds.bad_samples.totals() == (14, 4)
    logged = read_bad_paths(ds.bad_samples.spool_file)
    assert sorted(logged) == sorted(bad_paths)
    assert all('Cannot open video' in r for r in logged.values())


def test_substitution_is_deterministic_for_any_worker_count(video_list):
    ann, bad_paths = video_list
    ids = [_ids(_dataset(ann), n) for n in (0, 1, 3)]
    ids += [_ids(_dataset(ann), n, threads=True) for n in (0, 3)]
    assert ids[0] == ids[1] == ids[2] == ids[3] == ids[4]
    # the next readable video in the list replaces a bad one
    assert [i[-8:-4] for i in ids[0]] == [
        '0000', '0001', '0004', '0004', '0004', '0005', '0006', '0008',
        '0008', '0009']


def test_each_path_logged_once_per_process(video_list, tmp_path):
    ann, bad_paths = video_list
    ds = _dataset(ann)
    ds.bad_samples.spool_file = str(tmp_path / 'bad.txt')
    for _ in range(3):
        ds[7]
    assert ds.num_failures == 3 and ds.bad_samples.totals() == (6, 3)
    lines = open(ds.bad_samples.spool_file).read().splitlines()
    assert len(lines) == 1 and lines[0].startswith(bad_paths[2] + '\t')


def test_deepcopy_shares_the_counter(video_list):
    ds = _dataset(video_list[0])
    assert copy.deepcopy(ds).bad_samples is ds.bad_samples


def test_workers_abort_early_with_a_summary(video_list):
    ann, bad_paths = video_list
    ds = _dataset(ann, max_bad_fraction=0.01, bad_fraction_min_samples=3)
    with pytest.raises(TooManyBadSamplesError) as info:
        _ids(ds, num_workers=2)
    msg = str(info.value)
    assert 'max_bad_fraction=1.00%' in msg
    assert 'check_dataset.py' in msg


def test_fraction_must_be_valid(video_list):
    with pytest.raises(ValueError, match='max_bad_fraction'):
        _dataset(video_list[0], max_bad_fraction=1.5)


def _runner(tmp_path, ds, epochs=1, name='bad'):
    return tiny_video_runner(
        tmp_path,
        dict(dataset=ds, batch_size=2, num_workers=2,
             # new workers every epoch: the shared counts must survive that
             # (persistent ones are covered by
             # tests/integration/test_soak.py)
             persistent_workers=False,
             sampler=dict(type='DefaultSampler', shuffle=True)),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        custom_hooks=[dict(type='BadSampleHook')], log_interval=100,
        log_level='WARNING', experiment_name=f'{name}_{id(ds)}')


def test_hook_reports_each_epoch_and_writes_bad_paths(video_list, tmp_path,
                                                      capsys):
    assert HOOKS.get('BadSampleHook') is BadSampleHook
    ann, bad_paths = video_list
    runner = _runner(tmp_path, _dataset(ann), epochs=2)
    runner.train()
    out = capsys.readouterr()
    text = out.out + out.err
    for epoch in (1, 2):
        assert f'bad samples in epoch {epoch} ' in text
    assert 'bad_samples.txt' in text
    listed = read_bad_paths(str(tmp_path / 'bad_samples.txt'))
    assert sorted(listed) == sorted(bad_paths)


def test_hook_aborts_at_epoch_end_over_budget(video_list, tmp_path):
    ann, bad_paths = video_list
    # the in-worker check never fires (min_samples), the hook's does
    ds = _dataset(ann, max_bad_fraction=0.05,
                  bad_fraction_min_samples=10 ** 9)
    with pytest.raises(TooManyBadSamplesError,
                       match=r'failed in epoch 1 .*bad_samples.txt'):
        _runner(tmp_path, ds, name='abort').train()


def test_default_runtime_enables_the_hook(tmp_path):
    """A default hook of every config inheriting default_runtime (merged by
    key, so a config's own custom_hooks/custom_imports cannot drop it), and
    resolvable in a fresh process through the HOOKS registry's locations."""
    from mmengine.config import Config
    import subprocess
    import sys
    child = tmp_path / 'child.py'
    child.write_text(
        f"_base_ = ['{os.path.abspath('configs/_base_/default_runtime.py')}']"
        "\ncustom_imports = dict(imports=['json'])"
        "\ncustom_hooks = [dict(type='EmptyCacheHook')]\n")
    cfg = Config.fromfile(str(child))
    assert cfg.default_hooks.bad_samples == dict(type='BadSampleHook')
    code = ('import sys; from mmengine.config import Config; '
            'from mmengine.registry import init_default_scope; '
            'from dfertools.registry import HOOKS; '
            'cfg = Config.fromfile(sys.argv[1]); '
            'init_default_scope("dfertools"); '
            'h = HOOKS.build(cfg.default_hooks.bad_samples); '
            'assert type(h).__name__ == "BadSampleHook", h')
    subprocess.run([sys.executable, '-c', code, str(child)], check=True,
                   env=dict(os.environ, PYTHONPATH=os.getcwd()))
    MMLogger.get_current_instance().setLevel(logging.WARNING)


def test_spool_is_handed_to_the_report_and_removed(tmp_path):
    """Paths not yet copied by the hook (e.g. after an abort) reach
    bad_samples.txt when the counter goes away; the spool is removed."""
    import gc

    from dfertools.datasets.bad_samples import BadSampleCounter
    counter = BadSampleCounter()
    spool = counter.spool_file
    report = tmp_path / 'bad_samples.txt'
    report.write_text('a.mp4\told reason\n')
    counter.report_file = str(report)
    assert counter.record_failure('a.mp4', 'boom')
    assert counter.record_failure('b.mp4', 'bang')
    assert not counter.record_failure('b.mp4', 'bang')
    assert os.path.isfile(spool)
    del counter
    gc.collect()
    assert not os.path.exists(spool)
    assert read_bad_paths(str(report)) == {'a.mp4': 'old reason',
                                           'b.mp4': 'bang'}


@pytest.mark.parametrize('backend', ['cv2', 'decord'])
def test_damaged_headers_are_substituted_and_reported_in_training(
        tmp_path, backend):
    """A real training epoch (2 worker processes) over a list with damaged
    headers: OpenCV's negative frame count used to raise ValueError (not
    substituted) and decord aborted its worker on the absurd one."""
    init_default_scope('dfertools')
    ann, bad_paths = make_video_list(
        str(tmp_path / 'list'), 8, bad=(1, 4, 6),
        kinds=('negative_frame_count', 'absurd_frame_count',
               'zero_frame_size'))
    ds = DFERDataset(ann, pipeline=train_pipeline(backend=backend),
                     max_bad_fraction=1.0)
    runner = _runner(tmp_path, ds, name=f'headers_{backend}')
    runner.train()
    assert runner.iter == 4           # 8 samples, batch 2: every step ran
    attempts, failures = ds.bad_samples.totals()
    assert failures >= 3 and attempts == 8 + failures
    listed = read_bad_paths(str(tmp_path / 'bad_samples.txt'))
    assert sorted(listed) == sorted(bad_paths)
    assert all('impossible header' in r for r in listed.values())


# --- the max_bad_fraction limit is inclusive ------------------------------
LIMIT_CASES = [  # (max_bad_fraction, attempts, failures, aborts)
    (0.0, 10, 0, False), (0.0, 10, 1, True),
    (0.25, 8, 2, False), (0.25, 8, 3, True),
    (0.1, 30, 3, False), (0.1, 30, 4, True),
    (1.0, 5, 5, False)]


def _counter_at(tmp_path, limit, attempts, failures):
    from dfertools.datasets.bad_samples import BadSampleCounter
    counter = BadSampleCounter(limit, min_samples=1,
                               spool_file=str(tmp_path / 'spool.txt'))
    for _ in range(attempts):
        counter.record_attempt()
    for i in range(failures):
        counter.record_failure(f'v{i}.mp4', 'broken')
    return counter


@pytest.mark.parametrize('limit, attempts, failures, aborts', LIMIT_CASES)
def test_bad_fraction_at_the_limit_does_not_abort(tmp_path, limit, attempts,
                                                  failures, aborts):
    """Exactly max_bad_fraction failed loads are allowed, one more aborts;
    max_bad_fraction=0 with no failure runs on. In the workers' check and in
    the hook's epoch-end check."""
    counter = _counter_at(tmp_path, limit, attempts, failures)
    assert counter.too_many(attempts, failures) is aborts
    hook = BadSampleHook()
    hook.counters, hook._last = [counter], [(0, 0)]
    hook.report_file = str(tmp_path / 'bad_samples.txt')
    for check in (counter.check_early, lambda: hook.check(None, 'in test')):
        if aborts:
            with pytest.raises(TooManyBadSamplesError):
                check()
        else:
            check()


def test_zero_bad_fraction_trains_on_a_clean_list(tmp_path):
    ann, _ = make_video_list(str(tmp_path / 'clean'), 4)
    ds = _dataset(ann, max_bad_fraction=0.0, bad_fraction_min_samples=1)
    runner = tiny_video_runner(
        tmp_path, dict(dataset=ds, batch_size=2, num_workers=0,
                       sampler=dict(type='DefaultSampler', shuffle=False)),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        custom_hooks=[dict(type='BadSampleHook')], log_interval=100,
        log_level='WARNING', experiment_name=f'zero_{id(ds)}')
    runner.train()
    assert runner.iter == 2 and ds.bad_samples.totals() == (4, 0)
