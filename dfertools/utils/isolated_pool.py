"""Worker processes that survive a task that kills its worker.

``multiprocessing.Pool`` loses the task of a worker that dies (a video
decoder crashing on a crafted file, the out-of-memory killer) and waits for
its result forever; ``concurrent.futures`` fails every pending task with
``BrokenProcessPool``. :func:`isolated_map` hands each worker one task at a
time over its own pipe, so it always knows which task a dead worker held:
that task is reported as failed, a fresh worker takes the dead one's place
and the other tasks go on.

Workers are started with ``spawn`` (a fresh interpreter: a forked copy of a
process whose OpenCV or OpenMP thread pool has run can deadlock), so ``fn``
and ``initializer`` must be importable module-level functions.
"""
import multiprocessing as mp
import signal
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Iterator, Optional, Tuple

_STARTING = object()   # a worker that has not reported ready yet


def _serve(conn, fn, initializer, initargs) -> None:
    """Worker loop: initialise, then run the tasks sent over ``conn``."""
    try:
        if initializer is not None:
            initializer(*initargs)
    except BaseException as err:  # reported, then the worker ends
        conn.send(('init_failed', f'{type(err).__name__}: {err}'))
        return
    conn.send(('ready', None))
    while True:
        try:
            kind, item = conn.recv()
        except EOFError:      # the parent is gone
            return
        if kind == 'stop':
            return
        try:
            conn.send(('done', fn(item)))
        except Exception as err:  # the task failed; the worker lives on
            conn.send(('raised', f'{type(err).__name__}: {err}'))


def describe_exit(exitcode: Optional[int]) -> str:
    """``'killed by SIGSEGV'`` / ``'exit code 3'`` for a process's exit."""
    if exitcode is not None and exitcode < 0:
        try:
            return f'killed by {signal.Signals(-exitcode).name}'
        except ValueError:
            return f'killed by signal {-exitcode}'
    return f'exit code {exitcode}'


def isolated_map(fn: Callable[[Any], Any], items: Iterable, workers: int,
                 initializer: Optional[Callable] = None,
                 initargs: tuple = ()) -> Iterator[Tuple[Any, Any,
                                                         Optional[str]]]:
    """Run ``fn(item)`` for every item in ``workers`` spawned processes.

    Yields ``(item, result, None)`` for a task that returned and
    ``(item, None, reason)`` for one that raised (``reason`` names the
    exception) or whose worker died (``reason`` says how), in completion
    order. Raises ``RuntimeError`` if a worker cannot start (its
    ``initializer`` failed). Closing the generator early kills the
    workers."""
    ctx = mp.get_context('spawn')
    todo = iter(items)
    held = {}   # parent end of a worker's pipe -> [process, item held]

    def launch() -> None:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, daemon=True,
                           args=(child, fn, initializer, initargs))
        proc.start()
        child.close()
        held[parent] = [proc, _STARTING]

    def give_next(conn) -> None:
        for item in todo:
            conn.send(('task', item))
            held[conn][1] = item
            return
        proc = held.pop(conn)[0]   # nothing left: let this worker end
        conn.send(('stop', None))
        conn.close()
        proc.join()

    try:
        for _ in range(max(1, int(workers))):
            launch()
        while held:
            for conn in wait(list(held)):
                proc, item = held[conn]
                try:
                    kind, value = conn.recv()
                except (EOFError, OSError):   # the worker died
                    del held[conn]
                    conn.close()
                    proc.join()
                    how = describe_exit(proc.exitcode)
                    if item is _STARTING:
                        raise RuntimeError(
                            f'a worker process died while starting ({how})')
                    yield item, None, f'its worker process died ({how})'
                    launch()
                    continue
                if kind == 'init_failed':
                    raise RuntimeError(
                        f'a worker process failed to start: {value}')
                if kind == 'done':
                    yield item, value, None
                elif kind == 'raised':
                    yield item, None, value
                give_next(conn)
    finally:
        for conn, (proc, _) in held.items():
            proc.kill()
            conn.close()
        for proc, _ in held.values():
            proc.join()
