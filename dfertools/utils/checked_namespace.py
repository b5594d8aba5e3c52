"""What the pickled name ``argparse.Namespace`` resolves to while a
checkpoint is unpickled: :class:`CheckedNamespace`.

The VideoMAE and MAE-DFER training scripts save their command-line
arguments next to the weights (``{'model', 'optimizer', 'epoch', 'scaler',
'args'}`` with ``args`` an ``argparse.Namespace``). Pickle rebuilds such an
object as "create an empty ``Namespace``, then set its state"; torch's
weights-only loader copies that state into the instance's ``__dict__``
unchecked for a class without ``__setstate__``, so allowing the real class
would let a file plant ``__reduce_ex__``-style attributes or callables.

:class:`CheckedNamespace` accepts only a state that is a dict of identifier
names (no leading underscore) to plain data - ``None``, ``bool``, ``int``,
``float``, ``complex``, ``str``, ``bytes`` and lists, tuples and
string-keyed dicts of those, nested at most :data:`MAX_DEPTH` deep - and
then turns the object into a genuine ``argparse.Namespace``. Anything else
raises ``pickle.UnpicklingError``, so the load is refused before the object
is used. Called like the class (``REDUCE``), it accepts no arguments.
"""
import argparse
import pickle
from typing import Any

NAMESPACE_NAME = 'argparse.Namespace'
MAX_DEPTH = 8
_SCALARS = (type(None), bool, int, float, complex, str, bytes)


def _plain(value: Any, where: str, depth: int = 0) -> None:
    """Raise ``UnpicklingError`` unless ``value`` is plain data."""
    if depth > MAX_DEPTH:
        raise pickle.UnpicklingError(
            f'Namespace value {where} is nested deeper than {MAX_DEPTH}')
    if type(value) in _SCALARS:
        return
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            _plain(item, f'{where}[{i}]', depth + 1)
        return
    if type(value) is dict:
        for key, item in value.items():
            if type(key) not in _SCALARS:
                raise pickle.UnpicklingError(
                    f'Namespace value {where} has a key of type '
                    f'{type(key).__name__}; only plain keys are allowed')
            _plain(item, f'{where}[{key!r}]', depth + 1)
        return
    raise pickle.UnpicklingError(
        f'Namespace value {where} is a {type(value).__name__}; a checkpoint'
        "'s args may hold only None, bool, int, float, str, bytes and "
        'lists, tuples and dicts of those')


def check_namespace_state(state: Any) -> dict:
    """The validated ``__dict__`` of a pickled ``argparse.Namespace``."""
    if type(state) is not dict:
        raise pickle.UnpicklingError(
            f'Namespace state must be a dict, got {type(state).__name__}')
    for name, value in state.items():
        if type(name) is not str or not name.isidentifier() \
                or name.startswith('_'):
            raise pickle.UnpicklingError(
                f'Namespace attribute {name!r} is not allowed: names must be '
                'identifiers without a leading underscore')
        _plain(value, name)
    return state


class CheckedNamespace(argparse.Namespace):
    """Stand-in for ``argparse.Namespace`` in the weights-only allow-list:
    validates the pickled state (module docstring) and re-classes itself
    as a plain ``argparse.Namespace``."""

    def __init__(self) -> None:
        super().__init__()

    def __setstate__(self, state: Any) -> None:
        state = check_namespace_state(state)
        self.__class__ = argparse.Namespace
        self.__dict__.update(state)
