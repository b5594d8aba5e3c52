"""Bounded failure of distributed jobs: a stalled rank, a lost launcher.

**Collective timeout.** A rank that stops responding (SIGSTOP, a hung
filesystem, a deadlock) blocks every other rank in its next collective
(DDP's gradient all-reduce, a barrier, an evaluation gather) until the
process group's timeout expires: 30 minutes for gloo by default in torch
2.x, 10 minutes for NCCL. The timeout is the config key
``env_cfg.dist_cfg.timeout`` (seconds; MMEngine's ``init_dist`` turns it
into a ``timedelta``, and the CPU fallback in ``setup_env`` passes it to
``init_process_group`` itself) and the flag ``--dist-timeout SECONDS`` of
``tools/train.py`` / ``tools/test.py``. The tools default to
:data:`DEFAULT_TIMEOUT_S` = 600 s: long enough for the longest wait a
healthy rank sees in our runs (rank 0 writing a ViT-B checkpoint with its
AdamW state, about 1 GB, while the others wait in the next all-reduce;
rank 0 computing and dumping the metrics while the others wait for the
result), and three times shorter than gloo's default. When it expires, the
waiting rank raises :class:`CollectiveTimeoutError` (naming the timeout and
how to change it), exits non-zero, and torchrun stops the other ranks.

**Lost launcher.** torchrun starts every rank in a session of its own, so
when the torchrun agent itself is killed (SIGKILL, OOM killer) nobody stops
the ranks: they keep training, unsupervised, to the end and nobody collects
their exit status. :func:`watch_launcher` starts a daemon thread in each
rank that polls ``os.getppid()`` once a second; when the parent changes
(the agent died and the rank was re-parented) it prints why and ends the
rank with exit status :data:`LAUNCHER_GONE_EXIT`. The first rank to notice
exits, so another rank may fail in a collective ("Connection closed by
peer") before its own watchdog's next poll;
:func:`explain_collective_timeouts` then reports the lost launcher, the
cause, in place of that consequence. Checkpoints are written atomically,
so ending at any moment is safe; the rank's DataLoader workers notice their
parent is gone and exit too. It is on only under torchrun
(``TORCHELASTIC_RUN_ID`` set) — a rank started by hand under ``nohup`` must
survive its shell — and ``DFERTOOLS_WATCH_LAUNCHER=0`` switches it off.
"""
import contextlib
import datetime
import os
import sys
import threading
import time
from typing import Optional

DEFAULT_TIMEOUT_S = 600
LAUNCHER_GONE_EXIT = 1
_watchdog: Optional[threading.Thread] = None
_launcher: Optional[int] = None   # the parent pid the watchdog watches
_stopping = threading.Lock()      # one message per rank, however many see it


class CollectiveTimeoutError(RuntimeError):
    """A collective operation waited longer than the process-group
    timeout for another rank."""


def positive_seconds(text: str) -> float:
    """``argparse`` type of ``--dist-timeout``."""
    import argparse
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(
            f'--dist-timeout {text!r}: give a positive number of seconds, '
            f'e.g. --dist-timeout {DEFAULT_TIMEOUT_S}')
    return value


def setup_timeout(cfg, seconds: Optional[float] = None) -> float:
    """Set ``env_cfg.dist_cfg.timeout``: ``seconds`` if given, else the
    config's value, else :data:`DEFAULT_TIMEOUT_S`. Returns it."""
    from mmengine.config import ConfigDict
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    dist_cfg = env_cfg.setdefault('dist_cfg', ConfigDict(backend='nccl'))
    if seconds is not None:
        dist_cfg['timeout'] = seconds
    value = dist_cfg.setdefault('timeout', DEFAULT_TIMEOUT_S)
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not value > 0:
        raise ValueError(
            f'env_cfg.dist_cfg.timeout = {value!r} in {cfg.filename}: give '
            'the process-group timeout in seconds (a positive number), e.g. '
            f'{DEFAULT_TIMEOUT_S}')
    return value


def as_timedelta(seconds: float) -> datetime.timedelta:
    return datetime.timedelta(seconds=seconds)


def _is_collective_timeout(err: BaseException) -> bool:
    """A backend's timeout (gloo: ``RuntimeError: [.../gloo/...] Timed out
    waiting 20000ms for recv``), not e.g. a DataLoader's."""
    text = str(err).lower()
    if 'timed out' not in text and 'timeout' not in text:
        return False
    if type(err).__name__ in ('DistBackendError', 'DistStoreError'):
        return True
    return any(k in text for k in ('gloo', 'nccl', 'c10d', 'processgroup'))


@contextlib.contextmanager
def explain_collective_timeouts(seconds: Optional[float]):
    """Re-raise a collective's timeout as :class:`CollectiveTimeoutError`
    saying what it means and how to change it (only in distributed runs).
    An error raised after the launcher died is its consequence: the rank
    stops as its watchdog would, naming the lost launcher."""
    try:
        yield
    except Exception as err:
        if launcher_gone():
            _stop_for_lost_launcher(
                f' (this rank\'s last error, a consequence: '
                f'{type(err).__name__}: {_first_line(err)})')
        # DistBackendError is a RuntimeError
        if not isinstance(err, RuntimeError) or \
                isinstance(err, CollectiveTimeoutError):
            raise
        import torch.distributed as dist
        if not (dist.is_available() and dist.is_initialized()
                and _is_collective_timeout(err)):
            raise
        raise CollectiveTimeoutError(
            f'rank {dist.get_rank()}: a collective operation waited more '
            f'than the process-group timeout ({seconds} s) for another '
            'rank, which is stalled or dead (its own log says more). The '
            'timeout is env_cfg.dist_cfg.timeout, or --dist-timeout SECONDS '
            'of tools/train.py / tools/test.py; raise it only if a rank '
            'legitimately waits that long (e.g. for a slow checkpoint '
            f'write). Backend error: {type(err).__name__}: '
            f'{_first_line(err)}') from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else ''


def _flush_logs() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with contextlib.suppress(Exception):
        from mmengine.logging import MMLogger
        for handler in MMLogger.get_current_instance().handlers:
            handler.flush()


def launcher_gone() -> bool:
    """Whether the launcher :func:`watch_launcher` watches has died (this
    process was re-parented). ``False`` when nothing is watched."""
    return _launcher is not None and os.getppid() != _launcher


def _stop_for_lost_launcher(detail: str = '') -> None:
    if not _stopping.acquire(blocking=False):
        time.sleep(3600)   # the other thread is saying it and ends us
    print(f'rank {os.environ.get("RANK", "?")} (pid {os.getpid()}): the '
          f'launcher (pid {_launcher}) is gone; stopping this rank instead '
          'of training on unsupervised. Restart the job with --resume to '
          f'continue from the last checkpoint.{detail}', file=sys.stderr,
          flush=True)
    _flush_logs()
    os._exit(LAUNCHER_GONE_EXIT)


def watch_launcher(interval: float = 1.0) -> Optional[threading.Thread]:
    """Under torchrun, end this rank when its launcher dies (see the module
    docstring). Returns the watchdog thread, or ``None`` when not started."""
    global _watchdog, _launcher
    if _watchdog is not None:
        return _watchdog
    if 'TORCHELASTIC_RUN_ID' not in os.environ or os.environ.get(
            'DFERTOOLS_WATCH_LAUNCHER', '1') in ('0', ''):
        return None
    parent = os.getppid()
    if parent <= 1:
        return None  # already orphaned: nothing to watch
    _launcher = parent

    def watch():
        while not launcher_gone():
            time.sleep(interval)
        _stop_for_lost_launcher()

    _watchdog = threading.Thread(target=watch, daemon=True,
                                 name='dfertools-launcher-watchdog')
    _watchdog.start()
    return _watchdog
