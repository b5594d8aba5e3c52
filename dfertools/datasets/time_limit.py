"""A time limit on loading one sample (docs/design.md,
'Reliability principles').

A read that never returns — a hung NFS mount, a file that is being written,
a device node — blocks inside FFmpeg's or the kernel's C code, where no
Python signal or exception can reach it. So the limit works from the other
side: :func:`call_with_time_limit` runs the load in a helper thread and the
caller waits on an event with a timeout. When the time is up the caller
raises :class:`~.errors.DecodeTimeoutError` (a ``CorruptVideoError``: in
training the sample is substituted and counted like any unreadable file)
and **abandons** the helper thread: it stays blocked in its C call until
that call returns by itself (or the process exits — it is a daemon thread),
and its result is dropped. The next load of the calling thread gets a new
helper.

Cost:

* per sample, one hand-off to an already running helper thread (a queue
  put and an event wait; the helper is reused, one per loading thread);
* per *timed-out* sample, one thread that stays blocked, with whatever the
  load held (an open file, decoder buffers) until its call returns. A
  permanently hung mount therefore leaks a thread per hung file, which is
  bounded in practice by the dataset's ``max_consecutive_failures`` and
  ``max_bad_fraction`` limits, which stop the run first.

The helper runs the load with the calling thread's per-sample generator
(:func:`~.sample_rng.bind_sample_rng`), so thread-loader runs draw the same
crops with or without the limit. Each process (a forked DataLoader worker
too) starts its own helpers: a helper inherited through ``fork`` does not
run in the child and is replaced.
"""
import os
import queue
import threading
from typing import Callable, Optional, TypeVar

from .errors import DecodeTimeoutError
from .sample_rng import bind_sample_rng

T = TypeVar('T')

_local = threading.local()


class _Helper:
    """A daemon thread running the calls its owner thread hands it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.tasks: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, daemon=True,
                                       name='dfertools-sample-load')
        self.thread.start()

    def usable(self) -> bool:
        return self.pid == os.getpid() and self.thread.is_alive()

    def _loop(self) -> None:
        while True:
            fn, done, box = self.tasks.get()
            try:
                box.append((True, fn()))
            except BaseException as err:  # handed back to the caller
                box.append((False, err))
            finally:
                done.set()
            del fn, done, box   # hold no result while waiting


def call_with_time_limit(fn: Callable[[], T], seconds: Optional[float],
                         describe: Callable[[], str]) -> T:
    """``fn()``, or :class:`DecodeTimeoutError` when it has not returned
    after ``seconds`` (``None``: no limit, ``fn`` runs in this thread).
    ``describe()`` names what was being loaded, for the error."""
    if seconds is None:
        return fn()
    helper = getattr(_local, 'helper', None)
    if helper is None or not helper.usable():
        helper = _local.helper = _Helper()
    done, box = threading.Event(), []
    helper.tasks.put((bind_sample_rng(fn), done, box))
    if not done.wait(seconds):
        _local.helper = None   # stuck in fn: abandoned, see module doc
        raise DecodeTimeoutError(
            f'Loading {describe()} took more than {seconds:g} s '
            '(decode_timeout) and was abandoned; counted as unreadable. A '
            'hung network mount or a file still being written are the '
            'usual causes: check the storage, or raise the limit '
            '(--cfg-options train_dataloader.dataset.decode_timeout=120; '
            'None disables it).')
    ok, value = box[0]
    if ok:
        return value
    raise value
