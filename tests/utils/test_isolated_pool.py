"""dfertools/utils/isolated_pool.py: a task that kills its worker is
reported and the others finish; a worker that cannot start is an error."""
import multiprocessing as mp

import pytest

from dfertools.utils.isolated_pool import describe_exit, isolated_map
from tests.fixtures.pool_tasks import refuse_to_start, square_or_crash


def test_a_crashing_task_is_reported_and_the_rest_finish():
    out = {item: (result, failure) for item, result, failure in
           isolated_map(square_or_crash, range(10), workers=2)}
    assert sorted(out) == list(range(10))
    assert out[3] == (None, 'its worker process died (killed by SIGSEGV)')
    assert out[5] == (None, 'ValueError: five is refused')
    for x in set(range(10)) - {3, 5}:
        assert out[x] == (x * x, None)
    assert mp.active_children() == []


def test_more_workers_than_tasks_and_no_tasks():
    assert [r for _, r, _ in isolated_map(square_or_crash, [4], 3)] == [16]
    assert list(isolated_map(square_or_crash, [], 2)) == []
    assert mp.active_children() == []


def test_a_worker_that_cannot_start_is_an_error():
    with pytest.raises(RuntimeError, match='failed to start: OSError: no '
                       'decoder here'):
        list(isolated_map(square_or_crash, range(4), 2, refuse_to_start))
    assert mp.active_children() == []


def test_closing_early_stops_the_workers():
    gen = isolated_map(square_or_crash, range(100), workers=2)
    next(gen)
    gen.close()
    assert mp.active_children() == []


def test_describe_exit():
    assert describe_exit(-9) == 'killed by SIGKILL'
    assert describe_exit(3) == 'exit code 3'
