"""BadSampleHook: reports the unreadable training samples and enforces the
bad-sample budget (docs/design.md, 'Reliability principles').

The datasets substitute unreadable videos inside the DataLoader workers and
count them in a :class:`~.bad_samples.BadSampleCounter` shared with the main
process (see that module for the design). This hook, in the main process:

* ``before_train``: finds the counter of the training dataset (also
  inside ``ConcatDataset``/``RepeatDataset`` wrappers);
* at every check: appends the paths that failed since the last check (read
  from the counter's spool file, de-duplicated) to
  ``<work_dir>/bad_samples.txt`` as ``path<TAB>reason``;
* at every epoch end (and, for iteration-based loops, every ``interval``
  iterations): logs ``N bad samples this epoch (...)`` when N > 0, and
  raises :class:`~.bad_samples.TooManyBadSamplesError` with a summary when
  the epoch's failed/attempted loads exceed the dataset's
  ``max_bad_fraction``. Under DDP the figures are summed over ranks first
  (one all-reduce of two integers, so every rank takes the same decision).

Cost when nothing is broken: summing a 1024×2 tensor once per epoch; no
per-iteration work, no file is created.
"""
import logging
import os.path as osp
from typing import List, Tuple

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop

from dfertools.registry import HOOKS
from .bad_samples import (BadSampleCounter, TooManyBadSamplesError,
                          append_new_paths, read_bad_paths)


def find_counters(dataset) -> List[BadSampleCounter]:
    """The :class:`BadSampleCounter` of ``dataset`` and wrapped datasets."""
    found, stack, seen = [], [dataset], set()
    while stack:
        obj = stack.pop()
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        counter = getattr(obj, 'bad_samples', None)
        if isinstance(counter, BadSampleCounter):
            found.append(counter)
        stack.append(getattr(obj, 'dataset', None))
        stack.extend(getattr(obj, 'datasets', None) or [])
    return found


@HOOKS.register_module()
class BadSampleHook(Hook):
    """See the module docstring.

    Args:
        file_name: name of the bad-path list inside ``work_dir``.
        interval: check period in iterations for iteration-based loops
            (epoch-based loops check at every epoch end).
    """
    priority = 'LOW'

    def __init__(self, file_name: str = 'bad_samples.txt',
                 interval: int = 1000) -> None:
        self.file_name = file_name
        self.interval = interval
        self.counters: List[BadSampleCounter] = []
        self.report_file = None
        self._reported = set()
        self._last: List[Tuple[int, int]] = []

    def before_train(self, runner) -> None:
        self.counters = find_counters(runner.train_dataloader.dataset)
        self.report_file = osp.join(runner.work_dir, self.file_name)
        self._reported = set(read_bad_paths(self.report_file))  # resume
        for counter in self.counters:
            counter.report_file = self.report_file
        self._last = [c.totals() for c in self.counters]

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop) and \
                self.every_n_train_iters(runner, self.interval):
            self.check(runner, f'in the last {self.interval} iterations')

    def after_train_epoch(self, runner) -> None:
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            self.check(runner, f'in epoch {runner.epoch + 1}')
        else:
            self.check(runner, 'since the last check')

    def check(self, runner, scope: str) -> None:
        """Report and enforce the budget on the loads since the last call."""
        for i, counter in enumerate(self.counters):
            now = counter.totals()
            delta = torch.tensor([now[0] - self._last[i][0],
                                  now[1] - self._last[i][1]])
            self._last[i] = now
            all_reduce(delta, op='sum')
            attempts, failures = (int(v) for v in delta.tolist())
            if failures:
                append_new_paths(counter.spool_file, self.report_file,
                                 self._reported)
                print_log(f'{failures} bad samples {scope} (of {attempts} '
                          f'loads; substituted; paths in '
                          f'{self.report_file}).',
                          logger='current', level=logging.WARNING)
            if counter.too_many(attempts, failures):
                raise TooManyBadSamplesError(
                    counter.summary(attempts, failures, scope))
