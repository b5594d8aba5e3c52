"""The globals a checkpoint may name, and the check of what it built.

Loading with ``weights_only=True`` unpickles tensors, plain containers and
torch's own rebuild functions, plus the globals added with
``torch.serialization.add_safe_globals``. Every global added is code an
attacker may call with arguments of their choosing, or a class whose state
they choose. This module adds only these, each for a reason:

===============================  ==========================================
pickled name                     what it resolves to, and why it is safe
===============================  ==========================================
``builtins.getattr``             :func:`history_buffer_method`, *not*
                                 ``getattr``: it returns one of the four
                                 statistics methods of ``HistoryBuffer``
                                 (``min``/``max``/``current``/``mean``),
                                 which MMEngine pickles as
                                 ``getattr(HistoryBuffer, name)``, and
                                 raises for any other object or name.
``mmengine...HistoryBuffer``     :class:`CheckedHistoryBuffer`: its
                                 ``__setstate__`` accepts exactly
                                 MMEngine's keys with their types, turns
                                 the object into a genuine ``HistoryBuffer``
                                 and never writes the class-wide statistics
                                 table.
``argparse.Namespace``           :class:`~.checked_namespace.CheckedNamespace`
                                 (the ``args`` of VideoMAE / MAE-DFER
                                 training checkpoints): its ``__setstate__``
                                 accepts only identifier names without a
                                 leading underscore mapped to plain data
                                 (None, bool, numbers, str, bytes, lists,
                                 tuples, dicts), then turns the object into
                                 a plain ``argparse.Namespace``.
``numpy...multiarray.scalar``    builds a numpy scalar from a dtype and raw
                                 bytes (identity for object dtype).
``numpy...multiarray._reconstruct``  allocates an empty ``ndarray`` (subclass
                                 of ndarray only; no user code).
``numpy.ndarray``, ``numpy.dtype``, ``numpy.dtypes.*DType``  value types
                                 whose C ``__setstate__`` takes only shapes,
                                 dtypes and bytes.
===============================  ==========================================

``builtins.getattr`` itself was on this list once: ``getattr(getattr,
'__self__')`` reaches the builtins module and from there ``eval``, which
torch's default ``_rebuild_from_type_v2`` then calls. Never add a generic
accessor (``getattr``, ``operator.attrgetter``/``itemgetter``,
``functools.partial``, ``dict.get``, ...) or anything that can reach
``eval``/``exec``/``__import__``.

A second route needs no extra global at all: torch lets a pickle BUILD an
``OrderedDict`` (or any allowed class without ``__setstate__``) by
updating its ``__dict__`` with any names, e.g. ``__reduce_ex__`` or
``__deepcopy__``, which ``copy.deepcopy`` later looks up on the instance and
calls. :func:`check_loaded` walks what was loaded and refuses an object that
carries a dunder attribute or any callable at all; a real checkpoint holds
neither.
"""
import argparse
from collections import OrderedDict
from typing import Any, List

import numpy as np
from mmengine.logging.history_buffer import HistoryBuffer

from .checked_namespace import NAMESPACE_NAME, CheckedNamespace

HISTORY_BUFFER_NAME = 'mmengine.logging.history_buffer.HistoryBuffer'
_STATISTICS = ('min', 'max', 'current', 'mean')


class PlantedStateError(ValueError):
    """A loaded object carries attributes no checkpoint writes."""


def history_buffer_method(obj: Any, name: Any):
    """Stand-in for ``getattr`` while unpickling: resolves only
    ``HistoryBuffer.<min|max|current|mean>`` (the pickled name
    ``HistoryBuffer`` itself resolves to :class:`CheckedHistoryBuffer`)."""
    if obj in (HistoryBuffer, CheckedHistoryBuffer) and name in _STATISTICS:
        return getattr(HistoryBuffer, name)
    import pickle
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed: a checkpoint may only '
        'name the statistics methods of HistoryBuffer '
        f'({", ".join(_STATISTICS)})')


class CheckedHistoryBuffer(HistoryBuffer):
    """What the name ``HistoryBuffer`` resolves to while unpickling.

    MMEngine's own ``__setstate__`` merges the pickled ``statistics_methods``
    into the *class-wide* table (so a file could replace ``mean`` for every
    buffer of the process) and then copies every other pickled key into the
    instance, dunders included. This one validates the state, rejects any
    other key, and re-classes the instance as a plain ``HistoryBuffer``.
    """

    def __setstate__(self, state: Any) -> None:
        import pickle
        if not isinstance(state, dict):
            raise pickle.UnpicklingError(
                f'HistoryBuffer state must be a dict, got {type(state)}')
        state = dict(state)
        methods = state.pop('statistics_methods', {})
        expected = {'max_length', '_log_history', '_count_history'}
        if set(state) != expected:
            raise pickle.UnpicklingError(
                f'HistoryBuffer state has keys {sorted(state)}, expected '
                f'{sorted(expected)} (+ statistics_methods)')
        if not isinstance(state['max_length'], int):
            raise pickle.UnpicklingError('HistoryBuffer.max_length must be '
                                         'an int')
        for key in ('_log_history', '_count_history'):
            arr = state[key]
            if not isinstance(arr, np.ndarray) or arr.dtype.hasobject:
                raise pickle.UnpicklingError(
                    f'HistoryBuffer.{key} must be a numeric numpy array')
        if not isinstance(methods, dict) or any(
                methods[k] is not getattr(HistoryBuffer, k, None)
                for k in methods if k in _STATISTICS) or any(
                k not in _STATISTICS for k in methods):
            raise pickle.UnpicklingError(
                'HistoryBuffer.statistics_methods may only hold its own '
                f'{", ".join(_STATISTICS)} methods')
        self.__class__ = HistoryBuffer
        # the defaults MMEngine registers on first construction
        for name in _STATISTICS:
            HistoryBuffer._statistics_methods.setdefault(
                name, getattr(HistoryBuffer, name))
        self.__dict__.update(state)


def safe_globals() -> List[Any]:
    """Everything added to torch's weights-only allow-list (see above)."""
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    allowed: List[Any] = [
        (history_buffer_method, 'builtins.getattr'),
        (CheckedHistoryBuffer, HISTORY_BUFFER_NAME),
        (CheckedNamespace, NAMESPACE_NAME),
        _reconstruct, scalar, np.ndarray, np.dtype]
    for name in ('Float64DType', 'Float32DType', 'Int64DType', 'Int32DType',
                 'BoolDType'):
        cls = getattr(np.dtypes, name, None)
        if cls is not None:
            allowed.append(cls)
    return allowed


def _is_dunder(name: Any) -> bool:
    return isinstance(name, str) and name.startswith('__') \
        and name.endswith('__')


def check_loaded(obj: Any, source: str = 'checkpoint') -> Any:
    """Return ``obj`` if it holds only data; raise :class:`PlantedStateError`
    naming the path inside the object otherwise.

    Refused: an instance attribute named like a dunder (``__reduce_ex__``,
    ``__deepcopy__``, ...), and any callable value (function, class, bound
    method) anywhere in the structure."""
    import torch
    seen = set()
    stack = [(obj, 'root')]
    while stack:
        item, where = stack.pop()
        if id(item) in seen or isinstance(
                item, (str, bytes, int, float, complex, bool, type(None),
                       torch.dtype, torch.device, torch.Size, np.generic)):
            continue
        seen.add(id(item))
        if type(item) is CheckedNamespace:
            # an empty Namespace pickles without state, so no __setstate__
            # re-classed it
            item.__class__ = argparse.Namespace
        if callable(item):
            raise PlantedStateError(
                f'{source}: {where} is a callable ({item!r}); a checkpoint '
                'holds data only')
        attrs = getattr(item, '__dict__', None)
        if isinstance(attrs, dict):
            for key, value in attrs.items():
                if _is_dunder(key):
                    raise PlantedStateError(
                        f'{source}: {where} ({type(item).__name__}) carries '
                        f'the attribute {key!r}, which only a crafted pickle '
                        'writes')
                stack.append((value, f'{where}.{key}'))
        if isinstance(item, (dict, OrderedDict)):
            for key, value in item.items():
                stack.append((key, f'{where} key'))
                stack.append((value, f'{where}[{key!r}]'))
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend((v, f'{where}[{i}]') for i, v in enumerate(item))
        elif isinstance(item, np.ndarray) and item.dtype.hasobject:
            stack.extend((v, f'{where}[{i}]')
                         for i, v in enumerate(item.ravel().tolist()))
    return obj
