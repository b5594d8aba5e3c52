"""Checks the tools run before the Runner is built, so that a run does not
die with a bare ``OSError`` at its first log line — or, worse, after the
whole test set was evaluated.

:func:`check_writable_dir` creates the folder if needed and writes (then
removes) a hidden probe file in it: permission bits, read-only mounts,
ACLs and quotas all show up, also for root, for whom ``os.access`` says
yes to nearly everything. The error is an ``OSError`` with the original
``errno`` (``PermissionError``, ``OSError`` for a read-only file system,
...), so ``tool_errors.run_main`` prints it in one line; its message names
the folder and the fix.
"""
import os
import os.path as osp
import tempfile


def check_writable_dir(folder: str, what: str, fix: str) -> str:
    """Return ``folder`` if files can be created in it (creating it if
    needed); else raise ``OSError`` naming ``what`` and ``folder``."""
    folder = osp.abspath(osp.expanduser(str(folder)))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix='.dfertools-write-test-',
                                     dir=folder)
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        why = e.strerror or str(e)
        raise OSError(e.errno, f'{what} {folder!r} is not writable ({why}); '
                      f'{fix}') from e
    return folder


def check_work_dir(work_dir: str) -> str:
    return check_writable_dir(
        work_dir, 'work dir',
        'logs and checkpoints are written there. Pass --work-dir DIR on a '
        'writable disk, or fix the folder\'s permissions.')


def check_dump_target(dump: str) -> str:
    folder = osp.dirname(osp.abspath(osp.expanduser(str(dump))))
    return check_writable_dir(
        folder, f'--dump {dump}: the folder',
        'the per-sample results would be lost after the whole test run. '
        'Choose a --dump path in a writable folder.')
