"""Audit of what dfertools adds to torch's weights-only allow-list.

An allow-list entry is code an attacker may call with arguments of their
choosing (REDUCE), or a class whose state they choose (NEWOBJ + BUILD). The
tests below fail if any entry

* returns, for attacker-chosen arguments, a module, a function or method
  outside the allow-list, or ``eval``/``exec``/``__import__`` (a generic
  ``getattr``/``itemgetter``-style accessor does exactly that), or
* lets a BUILD plant ``__reduce_ex__``/``__deepcopy__``-style attributes
  that survive ``safe_load``.
"""
import argparse
import builtins
import copy
import itertools
import os.path as osp
import types
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

import dfertools  # noqa: F401
from dfertools.utils.checkpoint import CheckpointRefusedError, safe_load
from dfertools.utils.checked_namespace import CheckedNamespace
from dfertools.utils.checkpoint_allowlist import (CheckedHistoryBuffer,
                                                  safe_globals)
from tests.fixtures.evil_checkpoints import Call, PlantedOrderedDict

ENTRIES = [e[0] if isinstance(e, tuple) else e for e in safe_globals()]
NAMES = [e[1] if isinstance(e, tuple) else f'{e.__module__}.{e.__qualname__}'
         for e in safe_globals()]

# what an attacker would pass to reach code: modules, callables, names
PROBES = [builtins, np, torch, getattr, eval, exec, HistoryBuffer,
          CheckedHistoryBuffer, argparse.Namespace, CheckedNamespace,
          {}, OrderedDict(), [], (), 4, 0, None,
          '__self__', 'eval', 'exec', '__import__', '__globals__',
          '__builtins__', '__getitem__', '__class__', '__dict__',
          '__reduce_ex__', 'system', 'min', 'O', 'f8']
DANGEROUS = {id(eval), id(exec), id(builtins.__import__), id(compile),
             id(getattr), id(setattr), id(open)}
HISTORY_METHODS = {id(getattr(HistoryBuffer, n))
                   for n in ('min', 'max', 'current', 'mean')}


def _reaches_code(result) -> bool:
    if id(result) in DANGEROUS or isinstance(result, types.ModuleType):
        return True
    if isinstance(result, (types.FunctionType, types.BuiltinFunctionType,
                           types.MethodType, types.BuiltinMethodType,
                           types.MethodWrapperType)):
        return id(result) not in HISTORY_METHODS \
            and result not in ENTRIES
    return False


def test_known_entries():
    # a new entry must be reviewed (and described in checkpoint_allowlist)
    assert sorted(NAMES) == sorted([
        'builtins.getattr',
        'mmengine.logging.history_buffer.HistoryBuffer',
        'argparse.Namespace',
        *[f'numpy._core.multiarray.{n}' for n in ('_reconstruct', 'scalar')],
        'numpy.ndarray', 'numpy.dtype',
        *[f'numpy.dtypes.{n}' for n in ('Float64DType', 'Float32DType',
                                        'Int64DType', 'Int32DType',
                                        'BoolDType')
          if hasattr(np.dtypes, n)]])
    assert getattr not in ENTRIES


@pytest.mark.parametrize('entry', ENTRIES, ids=NAMES)
def test_no_entry_reaches_code(entry):
    reached = []
    for arity in (1, 2, 3):
        for args in itertools.product(PROBES, repeat=arity):
            try:
                result = entry(*args)
            except Exception:
                continue
            if _reaches_code(result):
                reached.append((args, result))
    assert not reached, f'{entry} reaches code: {reached[:3]}'


def test_probe_catches_a_generic_accessor():
    # the check above must fail for the entry that was once on the list
    hits = [a for a in itertools.product(PROBES, repeat=2)
            if _reaches_code(_try(getattr, *a))]
    assert (getattr, '__self__') in hits


def _try(fn, *args):
    try:
        return fn(*args)
    except Exception:
        return None


def _planted(cls, state):
    if cls is OrderedDict:
        return PlantedOrderedDict(state)
    return _Build(cls, state)


class _Build:
    """Pickles as ``cls()`` followed by BUILD with ``state``."""

    def __init__(self, cls, state):
        self.cls, self.state = cls, state

    def __reduce__(self):
        return (self.cls, (), self.state)


# the allowed classes whose state a pickle sets with BUILD (ndarray and
# dtype take theirs in C: shapes, dtypes and bytes only)
BUILDABLE = [OrderedDict, HistoryBuffer, argparse.Namespace]


@pytest.mark.parametrize('cls', BUILDABLE, ids=lambda c: c.__name__)
@pytest.mark.parametrize('name', ['__reduce_ex__', '__deepcopy__',
                                  '__reduce__', '__getstate__'])
def test_planted_dunder_is_refused(tmp_path, cls, name):
    """Allowed callables only (no getattr): even a harmless planted value
    is refused, because only a crafted pickle writes one."""
    path = tmp_path / 'planted.pth'
    torch.save({'meta': _planted(cls, {name: torch._utils._rebuild_tensor_v2})},
               path)
    with pytest.raises(CheckpointRefusedError, match='Nothing from it'):
        safe_load(path)


def test_callable_values_are_refused(tmp_path):
    path = tmp_path / 'callable.pth'
    torch.save({'meta': {'hook': torch._utils._rebuild_tensor_v2}}, path)
    with pytest.raises(CheckpointRefusedError, match="root\\['meta'\\]"):
        safe_load(path)


def _history_state(**extra):
    buf = HistoryBuffer([1.0, 3.0], [1, 1])
    state = dict(buf.__getstate__())
    state.update(extra)
    return state


@pytest.mark.parametrize('bad', [
    dict(statistics_methods={'mean': torch._utils._rebuild_tensor_v2}),
    dict(statistics_methods={'evil': HistoryBuffer.mean}),
    dict(__reduce_ex__=torch._utils._rebuild_tensor_v2),
    dict(max_length='big'),
], ids=['replace-mean', 'new-method', 'planted-dunder', 'bad-type'])
def test_history_buffer_state_is_checked(tmp_path, bad):
    path = tmp_path / 'hb.pth'
    torch.save({'log': _Build(HistoryBuffer, _history_state(**bad))}, path)
    before = dict(HistoryBuffer._statistics_methods)
    with pytest.raises(CheckpointRefusedError):
        safe_load(path)
    assert HistoryBuffer._statistics_methods == before


def test_history_buffer_loads_as_itself(tmp_path):
    path = tmp_path / 'hb.pth'
    torch.save({'log': HistoryBuffer([1.0, 3.0], [1, 1])}, path)
    got = safe_load(path)['log']
    assert type(got) is HistoryBuffer
    assert set(vars(got)) == {'max_length', '_log_history', '_count_history'}
    assert got.mean() == 2.0 and got.statistics('max') == 3.0
    assert copy.deepcopy(got).current() == 3.0


def test_getattr_gadget_ran_code_with_the_old_allow_list(tmp_path):
    """The gadget is real: with ``builtins.getattr`` allowed (the old
    allow-list) a plain weights-only load runs it."""
    marker = tmp_path / 'marker'
    code = f"open({str(marker)!r}, 'w').write('pwned')"
    mod = Call(getattr, getattr, '__self__')
    gadget = Call(torch._tensor._rebuild_from_type_v2,
                  Call(getattr, mod, 'eval'), torch.Tensor, (code,), {})
    torch.save({'x': gadget}, tmp_path / 'g.pth')
    # only the old entry: with ours also listed under the same name, which
    # one torch picks is the order of a set
    torch.serialization.clear_safe_globals()
    try:
        with torch.serialization.safe_globals([getattr]):
            torch.load(tmp_path / 'g.pth', weights_only=True)
    except Exception:
        pass
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(safe_globals())
    assert osp.exists(marker)


def _videomae_checkpoint(args):
    """What VideoMAE / MAE-DFER ``utils.save_model`` writes."""
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters())
    model(torch.randn(1, 3)).sum().backward()
    opt.step()
    return {'model': model.state_dict(), 'optimizer': opt.state_dict(),
            'epoch': 799, 'scaler': torch.amp.GradScaler('cpu').state_dict(),
            'args': args}


def test_videomae_training_checkpoint_loads_with_its_args(tmp_path):
    args = argparse.Namespace(
        model='pretrain_videomae_base_patch16_160', mask_type='tube',
        mask_ratio=0.9, lr=1.5e-4, window_size=(8, 10, 10),
        patch_size=(16, 16), device='cuda', resume='', seed=0,
        dist_on_itp=False, opt_betas=[0.9, 0.95], weight_decay_end=None,
        extra={'nested': [1, (2.0, 'x')]}, blob=b'\x00')
    path = tmp_path / 'checkpoint-799.pth'
    torch.save(_videomae_checkpoint(args), path)
    got = safe_load(path)
    assert type(got['args']) is argparse.Namespace and got['args'] == args
    assert got['epoch'] == 799 and set(got['scaler']) >= {'scale'}
    torch.save({'args': argparse.Namespace()}, path)  # no state pickled
    assert type(safe_load(path)['args']) is argparse.Namespace


@pytest.mark.parametrize('state', [
    {'lr': torch._utils._rebuild_tensor_v2},
    {'__reduce_ex__': 1},
    {'_hidden': 1},
    {'not an identifier': 1},
    {'w': torch.zeros(2)},
    {'w': np.zeros(2)},
    {'opts': OrderedDict(a=1)},
    {'ns': argparse.Namespace(a=1)},
    {'d': {torch._utils._rebuild_tensor_v2: 1}},
    {'deep': [[[[[[[[[[1]]]]]]]]]]},
    [('lr', 1)],
], ids=['callable', 'dunder', 'underscore', 'non-identifier', 'tensor',
        'ndarray', 'ordereddict', 'nested-namespace', 'callable-key', 'deep',
        'not-a-dict'])
def test_namespace_state_is_checked(tmp_path, state):
    path = tmp_path / 'ns.pth'
    torch.save({'args': _Build(argparse.Namespace, state)}, path)
    with pytest.raises(CheckpointRefusedError, match='Namespace|Nothing'):
        safe_load(path)


def test_plain_namespace_entry_would_keep_planted_state(tmp_path):
    """Why the stand-in: with ``argparse.Namespace`` itself allowed, torch
    copies a planted ``__reduce_ex__`` into the instance unchecked."""
    path = tmp_path / 'ns.pth'
    torch.save({'args': _Build(argparse.Namespace, {
        '__reduce_ex__': torch._utils._rebuild_tensor_v2})}, path)
    torch.serialization.clear_safe_globals()
    try:
        torch.serialization.add_safe_globals([argparse.Namespace])
        got = torch.load(path, weights_only=True)
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(safe_globals())
    assert vars(got['args'])['__reduce_ex__'] is \
        torch._utils._rebuild_tensor_v2
    with pytest.raises(CheckpointRefusedError):
        safe_load(path)
