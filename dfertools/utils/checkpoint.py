"""Safe checkpoint loading and atomic saving (docs/design.md,
'Upstream breakages and shims' item 3, 'Reliability principles').

:func:`safe_load` is the one place in dfertools that calls ``torch.load``. It
always passes ``weights_only=True`` (explicitly, so the environment variable
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` cannot switch it off) with the
allow-list of :mod:`dfertools.utils.checkpoint_allowlist`. A file whose
pickle asks for anything else — e.g. a ``__reduce__`` that would run a
command — is refused *before* any of it runs, with a
:class:`CheckpointRefusedError` that names the file; so is a file whose
loaded objects carry planted attributes or callables
(:func:`~dfertools.utils.checkpoint_allowlist.check_loaded`), before any of
them is used.

:func:`install_mmengine_loaders` (called by ``compat.apply``) routes every
MMEngine checkpoint scheme through the same refusal message: local paths use
:func:`safe_load`; remote schemes (``http://``, ``open-mmlab://``, ...) keep
their downloader, whose ``torch.load`` defaults to ``weights_only=True`` on
torch >= 2.6, get their refusals reworded, and refuse to run while
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is set (it would flip that default).
So ``load_from``, ``--resume`` and ``tools/test.py CHECKPOINT`` all refuse
code-carrying files the same way.

:func:`atomic_save` writes through a temporary file in the same folder and
``os.replace``\\ s it, so a kill during saving leaves the previous file intact.
"""
import functools
import os
import os.path as osp
import pickle

import torch

from .atomic_file import atomic_path
from .checkpoint_allowlist import PlantedStateError, check_loaded

WHY = ('dfertools loads checkpoints with torch.load(weights_only=True) and '
       'an allow-list of the globals an MMEngine checkpoint needs '
       '(dfertools.utils.checkpoint_allowlist); it never unpickles '
       'arbitrary objects, because a pickle can run code.')


class CheckpointRefusedError(pickle.UnpicklingError):
    """A checkpoint asked to unpickle something outside the allow-list."""


class CheckpointUnreadableError(RuntimeError):
    """A checkpoint file is truncated, empty or not a torch file."""


def _refusal(source: str, err: BaseException) -> CheckpointRefusedError:
    # torch's own message first suggests weights_only=False; keep only what
    # follows 'WeightsUnpickler error:', i.e. what was refused and why
    text = str(err)
    if 'WeightsUnpickler error:' in text:
        text = text.split('WeightsUnpickler error:', 1)[1]
        text = text.split('Check the documentation of torch.load')[0]
    first = ' '.join(text.split()).split(' Please use `torch.serialization')[0]
    return CheckpointRefusedError(
        f'Refused to load checkpoint {source!r}: {WHY} The file needs more '
        f'than that ({type(err).__name__}: {first}). Nothing from it was '
        'executed. If you trust the file, convert it once, in an environment '
        'you trust, to a checkpoint of tensors and plain types; if a '
        'legitimate MMEngine/numpy type is missing from the allow-list, '
        'add exactly that type to dfertools.utils.checkpoint_allowlist, '
        'after checking it cannot reach code (see that module).')


def safe_load(path, map_location='cpu'):
    """``torch.load(path, weights_only=True)`` with the MMEngine allow-list.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CheckpointRefusedError: the pickle needs a global outside the
            allow-list, or built objects carrying planted attributes
            (nothing from the file has run).
        CheckpointUnreadableError: the file is truncated or damaged.
    """
    path = osp.expanduser(str(path))
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path!r} does not exist')
    try:
        # The allow-list is installed process-wide by compat (add_safe_globals).
        # Not the `safe_globals` context manager: on exit it *removes* those
        # globals again, breaking every later weights_only load.
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        if 'Unsupported operand' not in str(e):
            raise _refusal(path, e) from e
        # not a torch zip file and not a pickle: damaged, not crafted
        raise _unreadable(path, e) from e
    except (RuntimeError, EOFError, ValueError, TypeError, KeyError,
            AttributeError, IndexError, OSError) as e:
        raise _unreadable(path, e) from e
    return checked(obj, path)


def _unreadable(path: str, err: BaseException) -> CheckpointUnreadableError:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    why = lines[-1] if 'Unsupported operand' in str(err) else (
        lines[0] if lines else '(no message)')
    return CheckpointUnreadableError(
        f'checkpoint {path!r} could not be read: {type(err).__name__}: '
        f'{why}. The file is truncated, empty or not a PyTorch checkpoint; '
        'copy or download it again, or pick an earlier checkpoint.')


def checked(obj, source: str):
    """``obj`` if :func:`check_loaded` finds only data in it, else a
    :class:`CheckpointRefusedError` naming ``source``."""
    try:
        return check_loaded(obj, source)
    except PlantedStateError as e:
        raise _refusal(source, e) from e


def _reword_refusals(loader, prefix: str):
    if getattr(loader, '_dfertools_wrapped', False):
        return loader

    @functools.wraps(loader)
    def wrapped(filename, map_location):
        if os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '0').lower() in (
                '1', 'y', 'yes', 'true'):
            # this loader calls torch.load without weights_only, which the
            # variable would turn into a full (code-running) unpickle
            raise RuntimeError(
                f'Refused to load checkpoint {filename!r}: '
                'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD is set, which would make '
                f'the {prefix!r} loader unpickle arbitrary objects. {WHY} '
                'Unset the variable.')
        try:
            return checked(loader(filename, map_location), filename)
        except CheckpointRefusedError:
            raise
        except pickle.UnpicklingError as e:
            raise _refusal(filename, e) from e

    wrapped._dfertools_wrapped = True
    return wrapped


def load_from_local(filename, map_location):
    return safe_load(filename, map_location=map_location)


load_from_local._dfertools_wrapped = True


def install_mmengine_loaders() -> bool:
    """Route MMEngine's ``CheckpointLoader`` schemes through our refusal."""
    from mmengine.runner.checkpoint import CheckpointLoader
    schemes = CheckpointLoader._schemes
    if schemes.get('') is load_from_local:
        return False
    for prefix, loader in list(schemes.items()):
        new = (load_from_local if prefix == ''
               else _reword_refusals(loader, prefix))
        CheckpointLoader._register_scheme(prefix, new, force=True)
    return True


def atomic_save(obj, path) -> None:
    """``torch.save`` to ``path`` via a temp file and ``os.replace``."""
    path = str(path)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
