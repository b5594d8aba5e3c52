"""Progress output: a bar on a terminal, periodic whole lines elsewhere."""
import io

from dfertools.utils import progress
from dfertools.utils.progress import LineProgress, progress_bar


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_non_tty_prints_a_line_per_tenth_and_no_carriage_returns():
    out = io.StringIO()
    bar = progress_bar(1000, file=out)
    assert isinstance(bar, LineProgress)
    for _ in range(1000):
        bar.update()
    text = out.getvalue()
    assert '\r' not in text
    lines = text.splitlines()
    assert len(lines) == 11                 # the start + every 10 %
    assert lines[0] == '0/1000'
    assert [ln.split('/')[0] for ln in lines[1:]] == [
        str(100 * k) for k in range(1, 11)]
    assert lines[-1].startswith('1000/1000 (100%), ') and 'ETA: 0s' in lines[-1]


def test_slow_tasks_print_every_min_interval(monkeypatch):
    clock = iter(range(0, 10000, 70))     # 70 s per call to the clock
    monkeypatch.setattr(progress.time, 'monotonic', lambda: next(clock))
    out = io.StringIO()
    bar = LineProgress(1000, file=out, min_interval=60)
    for _ in range(3):
        bar.update()
    lines = out.getvalue().splitlines()
    assert [ln.split(' ')[0] for ln in lines] == ['0/1000', '1/1000',
                                                  '2/1000', '3/1000']
    assert 'elapsed: 210s' in lines[-1]


def test_batched_updates_and_empty_total():
    out = io.StringIO()
    bar = LineProgress(10, file=out)
    bar.update(7)
    bar.update(3)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[0] == '0/10'
    assert lines[1].startswith('7/10 (70%)')
    assert lines[2].startswith('10/10 (100%)')
    empty = io.StringIO()
    LineProgress(0, file=empty)
    assert empty.getvalue() == '0/0\n'


def test_terminal_keeps_the_mmengine_bar():
    from mmengine.utils import ProgressBar
    stream = _Terminal()
    bar = progress_bar(5, file=stream)
    assert isinstance(bar, ProgressBar)
    for _ in range(5):
        bar.update()
    assert '\r' in stream.getvalue()
