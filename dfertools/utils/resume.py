"""Which checkpoint an automatic resume continues from.

MMEngine's ``find_latest_checkpoint`` returns whatever ``last_checkpoint``
says, so a ``last_checkpoint`` that is empty, or names a file that was
deleted or cannot be read, makes every ``--resume`` fail (and an empty one
fails with a confusing error). :func:`find_resumable_checkpoint` trusts
``last_checkpoint`` only when the file it names is a readable checkpoint;
otherwise it falls back to the newest checkpoint (``*.pth``, by modification
time) of the work dir — and of the folder ``last_checkpoint`` pointed into,
when that is another one (``out_dir``) — that loads, and logs a WARNING that
names both files. With no ``last_checkpoint`` and no checkpoint it returns
``None``: a fresh start.

``tools/train.py --resume`` calls it directly; ``compat`` installs it in
place of MMEngine's function, so a Runner built with ``resume=True`` and no
``load_from`` (MMEngine's own auto-resume) gets the same fallback.

What "readable" means (:func:`checkpoint_problem`): the file exists, is not
empty and, for the zip format ``torch.save`` writes, its central directory
and the CRC of every member check out and it holds a ``data.pkl``; a file in
another format is loaded with :func:`~dfertools.utils.checkpoint.safe_load`.
A file that ``safe_load`` *refuses* (it would run code) is not skipped
silently: the refusal propagates.
"""
import glob
import logging
import os.path as osp
import zipfile
from typing import List, Optional

from mmengine.logging import print_log

LAST = 'last_checkpoint'


def read_last_checkpoint(work_dir: str) -> Optional[str]:
    """The path ``work_dir/last_checkpoint`` names (stripped; ``''`` if the
    file is empty), or ``None`` if there is no such file."""
    path = osp.join(work_dir, LAST)
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read().strip()


def checkpoint_problem(path: str) -> Optional[str]:
    """``None`` if ``path`` is a readable checkpoint, else why not (a phrase
    that follows the file name, e.g. ``'does not exist'``)."""
    if not osp.isfile(path):
        return 'does not exist'
    if osp.getsize(path) == 0:
        return 'is empty'
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            return f'is damaged ({type(e).__name__}: {e})'
        if bad is not None:
            return f'is damaged (CRC error in {bad})'
        if not any(n == 'data.pkl' or n.endswith('/data.pkl')
                   for n in names):
            return 'is not a PyTorch checkpoint (no data.pkl inside)'
        return None
    from .checkpoint import CheckpointUnreadableError, safe_load
    try:
        safe_load(path)
    except (CheckpointUnreadableError, OSError) as e:
        return f'cannot be loaded ({e})'
    return None


def candidate_checkpoints(*folders: str) -> List[str]:
    """Every ``*.pth`` file of ``folders`` (not hidden temporary files),
    newest first (modification time, then name)."""
    found = set()
    for folder in folders:
        if folder and osp.isdir(folder):
            found.update(p for p in glob.glob(osp.join(folder, '*.pth'))
                         if osp.isfile(p))

    def key(path):
        return (osp.getmtime(path), osp.basename(path))
    return sorted(found, key=key, reverse=True)


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint an automatic resume of ``work_dir`` should load (see
    the module docstring); ``None`` when there is none."""
    last_file = osp.join(work_dir, LAST)
    named = read_last_checkpoint(work_dir)
    if named is None:
        reason = f'{last_file} does not exist'
    elif not named:
        reason = f'{last_file} is empty'
    elif '://' in named:
        return named  # a remote backend: nothing to check locally
    else:
        problem = checkpoint_problem(named)
        if problem is None:
            return named
        reason = f'{last_file} names {named}, which {problem}'
    folders = [work_dir]
    if named and osp.dirname(named) not in ('', work_dir):
        folders.append(osp.dirname(named))
    candidates = [c for c in candidate_checkpoints(*folders) if c != named]
    for candidate in candidates:
        problem = checkpoint_problem(candidate)
        if problem is None:
            print_log(f'{reason}; resuming from {candidate} instead, the '
                      'newest checkpoint there that loads.',
                      logger='current', level=logging.WARNING)
            return candidate
        print_log(f'resume: skipping {candidate}, which {problem}',
                  logger='current', level=logging.WARNING)
    if named is None and not candidates:
        return None  # a work dir without checkpoints: a fresh start
    print_log(f'{reason}, and no checkpoint in {", ".join(folders)} loads; '
              'there is nothing to resume from.', logger='current',
              level=logging.WARNING)
    return None


def install_in_mmengine() -> bool:
    """Make MMEngine's auto-resume (``Runner(resume=True)`` without
    ``load_from``) use :func:`find_resumable_checkpoint`."""
    import mmengine.runner as runner_pkg
    import mmengine.runner.checkpoint as checkpoint_mod
    import mmengine.runner.runner as runner_mod
    if runner_mod.find_latest_checkpoint is find_resumable_checkpoint:
        return False
    for module in (runner_pkg, checkpoint_mod, runner_mod):
        module.find_latest_checkpoint = find_resumable_checkpoint
    return True
