"""The per-sample time limit (decode_timeout): a load blocked in a C call is
abandoned and counted as unreadable; results, errors and the per-sample
generator pass through unchanged."""
import multiprocessing as mp
import os
import threading

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from dfertools.datasets import DFERDataset
from dfertools.datasets.bad_samples import read_bad_paths
from dfertools.datasets.errors import CorruptVideoError, DecodeTimeoutError
from dfertools.datasets.sample_rng import sample_rng, sample_rng_scope
from dfertools.datasets.time_limit import call_with_time_limit
from dfertools.datasets.transforms import VideoInit
from tests.fixtures.data_toys import train_pipeline, write_video


class BlockingPipe:
    """A fake reader whose read blocks in C: ``open()`` of a FIFO waits in
    the kernel until a writer appears (as FFmpeg waits on a hung mount).
    :meth:`release` lets every blocked read return."""

    def __init__(self, folder) -> None:
        self.fifo = os.path.join(str(folder), 'never_written')
        os.mkfifo(self.fifo)
        self.entered = threading.Event()

    def read(self):
        self.entered.set()
        fd = os.open(self.fifo, os.O_RDONLY)    # blocks, GIL released
        os.close(fd)
        return 'released'

    def release(self) -> None:
        # opening the write end lets a waiting reader's open() return
        try:
            fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:   # no reader waiting (any more)
            return
        os.close(fd)


class HangingVideoInit(VideoInit):
    """VideoInit that blocks on ``pipe`` for files named ``hang*``."""

    def __init__(self, pipe: BlockingPipe) -> None:
        super().__init__()
        self.pipe = pipe

    def transform(self, results):
        if os.path.basename(results['filename']).startswith('hang'):
            self.pipe.read()
        return super().transform(results)


@pytest.fixture
def pipe(tmp_path):
    p = BlockingPipe(tmp_path)
    yield p
    p.release()


@pytest.mark.timeout(60)
def test_a_blocking_c_call_is_abandoned_after_the_limit(pipe):
    with pytest.raises(DecodeTimeoutError) as info:
        call_with_time_limit(pipe.read, 0.3, lambda: 'clip_7.mp4')
    assert pipe.entered.is_set()
    msg = str(info.value)
    assert 'clip_7.mp4' in msg and '0.3 s' in msg and 'decode_timeout' in msg
    assert isinstance(info.value, CorruptVideoError)
    # the caller is free again: the next call gets a fresh helper
    assert call_with_time_limit(lambda: 42, 5, lambda: 'x') == 42


def test_results_errors_and_no_limit_pass_through():
    assert call_with_time_limit(lambda: [1, 2], 5, lambda: 'x') == [1, 2]

    def broken():
        raise CorruptVideoError('bad.mp4: no frames')
    with pytest.raises(CorruptVideoError, match='bad.mp4: no frames') as info:
        call_with_time_limit(broken, 5, lambda: 'x')
    assert not isinstance(info.value, DecodeTimeoutError)
    caller = threading.get_ident()
    assert call_with_time_limit(threading.get_ident, None,
                                lambda: 'x') == caller
    assert call_with_time_limit(threading.get_ident, 5, lambda: 'x') != caller


def test_the_sample_generator_follows_the_load_into_the_helper():
    def draw():
        return sample_rng().randint(0, 10 ** 9, 4).tolist()
    with sample_rng_scope([7]):
        direct = draw()
    with sample_rng_scope([7]):
        limited = call_with_time_limit(draw, 5, lambda: 'x')
    assert limited == direct


def _dataset(tmp_path, pipe, **kwargs):
    init_default_scope('dfertools')
    hang = write_video(tmp_path / 'hang.mp4', frames=8)
    good = write_video(tmp_path / 'good.mp4', frames=8)
    ann = tmp_path / 'ann.txt'
    ann.write_text(f'{hang} 0\n{good} 1\n')
    pipeline = [HangingVideoInit(pipe)] + train_pipeline()[1:]
    return DFERDataset(str(ann), pipeline=pipeline, **kwargs), hang


@pytest.mark.timeout(60)
def test_a_hung_sample_is_substituted_in_training_and_raises_in_test(
        tmp_path, pipe):
    ds, hang = _dataset(tmp_path, pipe, max_bad_fraction=1.0,
                        decode_timeout=0.3)
    ds.bad_samples.spool_file = str(tmp_path / 'spool.txt')
    sample = ds[0]
    assert int(sample['data_samples'].gt_label) == 1    # the substitute
    assert ds.bad_samples.totals() == (2, 1)
    assert 'decode_timeout' in read_bad_paths(ds.bad_samples.spool_file)[hang]
    test_ds, _ = _dataset(tmp_path, pipe, test_mode=True, decode_timeout=0.3)
    with pytest.raises(DecodeTimeoutError, match='hang.mp4'):
        test_ds[0]
    assert test_ds[1]['inputs'].shape[0] == 1


@pytest.mark.parametrize('bad', [0, -1.0])
def test_decode_timeout_must_be_positive_or_none(tmp_path, pipe, bad):
    with pytest.raises(ValueError, match='decode_timeout'):
        _dataset(tmp_path, pipe, decode_timeout=bad)


def _load_in_child(ds, queue):
    queue.put(int(ds[1]['data_samples'].gt_label))


@pytest.mark.timeout(60)
def test_a_forked_worker_starts_its_own_helper(tmp_path, pipe):
    """The helper made in the parent does not run in a forked DataLoader
    worker; the child must not wait on it (it would time out)."""
    ds, _ = _dataset(tmp_path, pipe, decode_timeout=20)
    assert int(ds[1]['data_samples'].gt_label) == 1   # parent's helper
    ctx = mp.get_context('fork')
    queue = ctx.Queue()
    child = ctx.Process(target=_load_in_child, args=(ds, queue))
    child.start()
    try:
        assert queue.get(timeout=15) == 1
    finally:
        child.join(10)
    assert child.exitcode == 0


def test_same_clip_with_and_without_the_limit(tmp_path, pipe):
    init_default_scope('dfertools')
    good = write_video(tmp_path / 'v.mp4', frames=12)
    ann = tmp_path / 'a.txt'
    ann.write_text(f'{good} 1\n')
    pipeline = [dict(type='VideoInit'),
                dict(type='DFERSampleFrames', clip_len=4, frame_interval=1),
                dict(type='VideoDecode'),
                dict(type='RandomResizedCropFlip', size=16),
                dict(type='FormatShape', input_format='NCTHW'),
                dict(type='PackActionInputs')]
    clips = []
    for limit in (None, 30):
        ds = DFERDataset(str(ann), pipeline=pipeline, decode_timeout=limit)
        with sample_rng_scope([3]):
            clips.append(ds[0]['inputs'].numpy())
    np.testing.assert_array_equal(clips[0], clips[1])
