"""Counting unreadable samples across DataLoader workers
(docs/design.md, 'Reliability principles').

In training, :class:`~dfertools.datasets.DFERDataset` replaces a video that
cannot be read by another one. That happens inside the DataLoader worker
processes, which the main process (where the runner and its hooks live) does
not see. :class:`BadSampleCounter` is the channel between them.

Design choice (of the two considered — a shared counter, or workers writing
every event to a file): **shared counters for the numbers, an append-only
file for the paths.**

* Counts live in a small ``int64`` tensor in shared memory
  (``Tensor.share_memory_()``), created in the dataset's ``__init__`` in the
  main process. A forked worker inherits the mapping; a spawned worker
  receives it through torch's multiprocessing pickler, which shares the same
  memory. Each process writes only its own row (``worker id + 1``; row 0 is
  the main process), so processes need no lock and a sample costs one
  in-place add (the loader threads of one process share its row under a
  ``threading.Lock``). The main process sums the rows whenever it wants
  (epoch end).
* Paths go to an append-only *spool file* whose name is fixed in
  ``__init__`` (``$TMPDIR/dfertools_bad_samples_<pid>_<random>.txt``,
  created only when a load fails): one ``path<TAB>reason`` line the *first*
  time a process meets that path (small ``O_APPEND`` writes, so lines of
  concurrent workers never interleave on a local file system). The name is
  known before any worker starts — mmengine's iteration-based loop starts
  the workers, and their prefetching, before the first hook runs, so a path
  handed over by a hook would come too late. The same path may appear once
  per worker; readers de-duplicate (:func:`read_bad_paths`).
  :class:`~dfertools.datasets.bad_sample_hook.BadSampleHook` copies the new
  paths into ``<work_dir>/bad_samples.txt`` (``report_file``) at every
  check. When the counter is collected or the main process exits (also
  after an abort), the paths not yet copied are copied to ``report_file``
  (if set) and the spool file is removed.

The counter also enforces ``max_bad_fraction`` (failed loads / attempted
loads). Inside the workers the check runs as soon as ``min_samples`` loads
were attempted in total, so a run over a half-broken mount dies within
minutes rather than hours in; the hook repeats it at every epoch end on the
epoch's own figures.

``copy.deepcopy`` (used by mmengine on datasets) keeps the *same* counter;
plain ``pickle`` outside worker start-up makes an unshared copy.
"""
import os
import tempfile
import threading
import uuid
import weakref
from typing import Dict, List, Optional, Set, Tuple

import torch

from .errors import DATA_DOC

MAX_PROCESSES = 1024   # rows: main process + up to 1023 worker ids
ATTEMPTS, FAILURES = 0, 1


class TooManyBadSamplesError(RuntimeError):
    """More than ``max_bad_fraction`` of the loaded samples were unreadable."""


def _worker_row() -> int:
    info = torch.utils.data.get_worker_info()
    return 0 if info is None else 1 + info.id % (MAX_PROCESSES - 1)


def append_new_paths(src: str, dst: str,
                     known: Optional[Set[str]] = None) -> Set[str]:
    """Append to ``dst`` the entries of ``src`` whose path ``dst`` lacks
    (``known``: the paths already in ``dst``, if the caller tracks them);
    return the paths now in ``dst``."""
    known = set(read_bad_paths(dst)) if known is None else known
    new = [(path, reason) for path, reason in read_bad_paths(src).items()
           if path not in known]
    if new:
        with open(dst, 'a', encoding='utf-8') as f:
            for path, reason in new:
                f.write(f'{path}\t{reason}\n')
                known.add(path)
    return known


def _finish_spool(spool_file: str, creator_pid: int, report: list) -> None:
    """Finalizer (creating process only): hand the spool to the report."""
    if os.getpid() != creator_pid or not os.path.isfile(spool_file):
        return
    try:
        if report[0]:
            append_new_paths(spool_file, report[0])
        os.remove(spool_file)
    except OSError:
        pass


def read_bad_paths(list_file: Optional[str]) -> Dict[str, str]:
    """``{path: first reason}`` of a bad-path list (spool file,
    ``bad_samples.txt`` or the output of check_dataset), de-duplicated."""
    found: Dict[str, str] = {}
    if not list_file or not os.path.isfile(list_file):
        return found
    with open(list_file, encoding='utf-8', errors='replace') as f:
        for line in f:
            path, _, reason = line.rstrip('\n').partition('\t')
            if path:
                found.setdefault(path, reason)
    return found


class BadSampleCounter:
    """Attempt/failure counts shared by a dataset's worker processes.

    Args:
        max_bad_fraction: abort when more than this fraction of the load
            attempts failed (default 1%). ``1.0`` disables the check.
        min_samples: attempts (over all workers) before the in-worker check
            may abort, so a few early failures do not stop a run.
        spool_file: where workers append the first failure of each path
            (default: a new name in the temp folder).
    """

    def __init__(self, max_bad_fraction: float = 0.01,
                 min_samples: int = 500,
                 spool_file: Optional[str] = None) -> None:
        if not 0.0 <= max_bad_fraction <= 1.0:
            raise ValueError(
                f'max_bad_fraction must be in [0, 1], got {max_bad_fraction}')
        self.max_bad_fraction = float(max_bad_fraction)
        self.min_samples = int(min_samples)
        self.spool_file = spool_file or os.path.join(
            tempfile.gettempdir(), f'dfertools_bad_samples_{os.getpid()}_'
            f'{uuid.uuid4().hex[:8]}.txt')
        self._report = [None]   # report_file, shared with the finalizer
        weakref.finalize(self, _finish_spool, self.spool_file, os.getpid(),
                         self._report)
        self._counts = torch.zeros(MAX_PROCESSES, 2,
                                   dtype=torch.int64).share_memory_()
        self._seen_paths = set()   # per process
        # loader threads (ThreadDataLoader) of one process share a row and
        # the seen-path set: serialise their updates
        self._lock = threading.Lock()

    @property
    def report_file(self) -> Optional[str]:
        """``<work_dir>/bad_samples.txt`` once BadSampleHook set it."""
        return self._report[0]

    @report_file.setter
    def report_file(self, path: Optional[str]) -> None:
        self._report[0] = path

    def __deepcopy__(self, memo) -> 'BadSampleCounter':
        return self

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state['_seen_paths'] = set()
        del state['_lock']
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # --- written by the process that loads -------------------------------
    def record_attempt(self) -> None:
        with self._lock:
            self._counts[_worker_row(), ATTEMPTS] += 1

    def record_failure(self, path: str, reason: str) -> bool:
        """Count a failed load; return True the first time this process
        meets ``path`` (the caller logs it then)."""
        with self._lock:
            self._counts[_worker_row(), FAILURES] += 1
            if path in self._seen_paths:
                return False
            self._seen_paths.add(path)
        line = f'{path}\t{" ".join(str(reason).split())}\n'
        fd = os.open(self.spool_file,
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode('utf-8', errors='replace'))
        finally:
            os.close(fd)
        return True

    # --- read anywhere ----------------------------------------------------
    def totals(self) -> Tuple[int, int]:
        """``(attempts, failures)`` summed over all processes."""
        attempts, failures = self._counts.sum(0).tolist()
        return int(attempts), int(failures)

    def too_many(self, attempts: int, failures: int) -> bool:
        return attempts > 0 and failures / attempts > self.max_bad_fraction

    def summary(self, attempts: int, failures: int, scope: str) -> str:
        paths = self.bad_paths()
        listed = ''
        if paths:
            shown = ', '.join(paths[:5])
            more = f' and {len(paths) - 5} more' if len(paths) > 5 else ''
            where = (f'all listed in {self.report_file}' if
                     self.report_file else 'with BadSampleHook on, all are '
                     'listed in <work_dir>/bad_samples.txt')
            listed = f' Bad files ({where}): {shown}{more}.'
        return (f'{failures} of {attempts} sample loads failed {scope} '
                f'({failures / max(attempts, 1):.2%} > max_bad_fraction='
                f'{self.max_bad_fraction:.2%}).{listed} Fix or remove the '
                'broken videos (find them all with `python '
                'tools/data/check_dataset.py ANNOTATION`), check data_root, '
                'or accept more (--cfg-options '
                'train_dataloader.dataset.max_bad_fraction=0.05). '
                f'See {DATA_DOC}.')

    def check_early(self) -> None:
        """Abort (in any process) once ``min_samples`` loads were attempted
        and too many failed."""
        attempts, failures = self.totals()
        if attempts >= self.min_samples and self.too_many(attempts, failures):
            raise TooManyBadSamplesError(
                self.summary(attempts, failures, 'so far in this run'))

    def bad_paths(self) -> List[str]:
        """Every path that failed so far, in any process (de-duplicated)."""
        return list(read_bad_paths(self.spool_file))
