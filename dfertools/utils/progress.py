"""Progress display that suits where the output goes: :func:`progress_bar`.

MMEngine's ``ProgressBar`` redraws one line with ``\\r`` after every task.
On a terminal that is a bar; in a log file, a pipe or a cluster job's
stdout it is thousands of carriage returns on one "line" that editors and
``tail`` show as a single unreadable blob. :func:`progress_bar` returns the
bar only when the stream is a terminal, and otherwise a
:class:`LineProgress`, which prints a complete line (done/total, percent,
rate, elapsed, ETA) at every 10 % of the work, at most every
``min_interval`` seconds in between for slow tasks, and at the end.
"""
import sys
import time
from typing import IO, Optional


def _is_tty(stream: IO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class LineProgress:
    """Periodic ``done/total`` lines for non-interactive output.

    Args:
        total: number of tasks.
        file: stream to write to (default ``sys.stdout``).
        steps: lines over the whole run at even fractions (10 -> every
            10 %).
        min_interval: also print when this many seconds passed since the
            last line (slow tasks); ``None`` disables it.
    """

    def __init__(self, total: int, file: Optional[IO] = None,
                 steps: int = 10, min_interval: Optional[float] = 60.0
                 ) -> None:
        self.total = max(int(total), 0)
        self.file = file or sys.stdout
        self.steps = max(int(steps), 1)
        self.min_interval = min_interval
        self.completed = 0
        self._next_step = 1
        self._start = self._last = time.monotonic()
        self._print(f'0/{self.total}')

    def _print(self, text: str) -> None:
        self.file.write(text + '\n')
        self.file.flush()

    def update(self, num_tasks: int = 1) -> None:
        self.completed += num_tasks
        now = time.monotonic()
        due = self.total and self.completed * self.steps >= \
            self._next_step * self.total
        slow = self.min_interval is not None and \
            now - self._last >= self.min_interval
        if not (due or slow or self.completed == self.total):
            return
        while self.total and self._next_step * self.total <= \
                self.completed * self.steps:
            self._next_step += 1
        self._last = now
        elapsed = now - self._start
        rate = self.completed / elapsed if elapsed > 0 else float('inf')
        left = max(self.total - self.completed, 0)
        eta = left / rate if rate > 0 and rate != float('inf') else 0.0
        pct = 100.0 * self.completed / self.total if self.total else 100.0
        self._print(f'{self.completed}/{self.total} ({pct:.0f}%), '
                    f'{rate:.1f} task/s, elapsed: {elapsed:.0f}s, '
                    f'ETA: {eta:.0f}s')


def progress_bar(total: int, file: Optional[IO] = None, **kwargs):
    """MMEngine's ``ProgressBar`` on a terminal, :class:`LineProgress`
    (``kwargs``) otherwise; both have ``update(num_tasks=1)``."""
    file = file or sys.stdout
    if _is_tty(file):
        from mmengine.utils import ProgressBar
        return ProgressBar(total, file=file)
    return LineProgress(total, file=file, **kwargs)
