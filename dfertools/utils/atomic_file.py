"""Atomic file replacement, the one implementation behind every checkpoint
and ``last_checkpoint`` write (docs/design.md, 'Reliability principles').

:func:`atomic_path` yields a hidden temporary name in the *same* folder as
the target (``.NAME.tmp-<pid>``); once the caller has written it, the file
is flushed to disk (``fsync``), renamed over the target with ``os.replace``
(atomic on POSIX and Windows within one file system) and the folder entry is
flushed. If the caller raises, or nothing was written, the temporary file is
removed and the target is untouched, so a reader — or a run resumed after a
kill — sees the old file or the new one, never a truncated one. Leftovers of
a process killed mid-write match :data:`TMP_GLOB`.
"""
import contextlib
import os
import os.path as osp

TMP_MARK = '.tmp-'
TMP_GLOB = '.*.tmp*'


def fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: str) -> None:
    if os.name == 'posix':  # directories cannot be opened on Windows
        fsync_file(path)


@contextlib.contextmanager
def atomic_path(path: str):
    """Yield a temporary path; on success it replaces ``path``.

    If the body wrote nothing (e.g. a non-main rank of a ``master_only``
    save), nothing is replaced.
    """
    folder = osp.dirname(osp.abspath(str(path)))
    tmp = osp.join(folder, f'.{osp.basename(str(path))}{TMP_MARK}'
                   f'{os.getpid()}')
    replaced = False
    try:
        yield tmp
        if osp.exists(tmp):
            fsync_file(tmp)
            os.replace(tmp, path)
            replaced = True
            fsync_dir(folder)
    except OSError as e:
        raise naming_error(e, str(path), replaced) from e
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def naming_error(err: OSError, path: str, replaced: bool) -> OSError:
    """``err`` (same errno, so the same ``OSError`` subclass) with a
    message that names ``path`` — ``write()`` errors such as ENOSPC name no
    file, or only the hidden temporary one — and says what is on disk."""
    why = getattr(err, 'why', None) or err.strerror or str(err)
    if replaced:
        text = (f'{why} while flushing the folder of {path!r}; the new file '
                'is in place')
    else:
        text = (f'{why} while writing {path!r}: it was being written to a '
                'temporary file, now removed, so the previous '
                f'{osp.basename(path)} (if any) is intact')
    new = OSError(err.errno, text)
    new.why, new.target = why, path
    return new


def atomic_write_text(path: str, text: str) -> None:
    """Replace ``path`` by ``text``: readers see old or new, never a
    truncated file."""
    with atomic_path(path) as tmp:
        with open(tmp, 'w') as f:
            f.write(text)
