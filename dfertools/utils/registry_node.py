"""The registry node class of dfertools and its "did you mean" help.

:class:`DFERRegistry` is an MMEngine ``Registry`` that also imports its
parents' locations and the ``dfertools.plugins`` entry points (MMEngine's
``Registry.get`` falls back to the parent's module dict without importing
the parent's locations, so ``type='VisionTransformer'`` would not resolve
unless ``mmaction.models`` happened to be imported already).

A config that names an unregistered type fails with a ``KeyError`` that
names the type, the registry and the closest registered names, e.g.
``type='VideoVit' is not registered in the dfertools::model registry (or its
parents mmaction::model, mmengine::model); did you mean 'VideoViT'?``.
:func:`explain_unregistered` rewrites MMEngine's "is not in the registry"
``KeyError`` into that message; it wraps :meth:`DFERRegistry.build` (nested
builds included, e.g. a typo in the backbone of mmaction's
``Recognizer3D``) and the Runner's entry points
(``dfertools.engine.runner.DFERRunner``), which build from MMEngine's root
registries. Nothing of MMEngine is patched.
"""
import contextlib
import difflib
import re

from mmengine.registry import Registry

from .plugins import load_plugins


class DFERRegistry(Registry):
    """A ``Registry`` that imports its parents' locations and the plugins,
    and explains an unregistered type (see the module doc)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _NODES.append(self)

    def import_from_location(self) -> None:
        super().import_from_location()
        parent = self.parent
        while parent is not None:
            parent.import_from_location()
            parent = parent.parent
        load_plugins()

    def build(self, cfg, *args, **kwargs):
        with explain_unregistered():
            return super().build(cfg, *args, **kwargs)


_MISSING = re.compile(
    r'(?P<type>[\w.]+) is not in the (?P<scope>[\w.]+)::(?P<name>[^\n]+?) '
    r'registry\. Please check')


def _lineage(registry: Registry):
    while registry is not None:
        yield registry
        registry = registry.parent


def suggest_types(registry: Registry, name: str, n: int = 3) -> list:
    """Registered names of ``registry`` and its parents closest to
    ``name`` (case-insensitive ``difflib`` ratio)."""
    keys = sorted({k for r in _lineage(registry) for k in r.module_dict})
    lower = {}
    for k in keys:
        lower.setdefault(k.lower(), k)
    exact = [lower[name.lower()]] if name.lower() in lower else []
    close = difflib.get_close_matches(name.lower(), list(lower), n=n,
                                      cutoff=0.6)
    return list(dict.fromkeys(exact + [lower[c] for c in close]))[:n]


def unregistered_message(registry: Registry, type_name: str) -> str:
    """The error text for ``type=type_name`` missing from ``registry``."""
    short = type_name.rsplit('.', 1)[-1]
    parents = [f'{r.scope}::{r.name}' for r in _lineage(registry.parent)]
    where = f'{registry.scope}::{registry.name} registry'
    if parents:
        where += f' (or its parents {", ".join(parents)})'
    hints = suggest_types(registry, short)
    hint = ('did you mean ' + ' or '.join(repr(h) for h in hints) + '?'
            if hints else 'no registered name is close to it.')
    return (f'type={type_name!r} is not registered in the {where}; {hint} '
            'If it is your own module, register it with register_module() '
            "and import it with custom_imports=dict(imports=['your.module']) "
            'in the config (docs/plugins.md).')


_NODES = []  # every DFERRegistry, to find one by scope and name


def _find_registry(scope: str, name: str):
    """The registry ``scope::name``: one of ours, else a child of
    MMEngine's root registry of that name."""
    for reg in _NODES:
        if reg.scope == scope and reg.name == name:
            return reg
    from mmengine.registry import root
    for obj in vars(root).values():
        if isinstance(obj, Registry) and obj.name == name:
            found = obj if obj.scope == scope else obj._search_child(scope)
            if found is not None:
                return found
    return None


@contextlib.contextmanager
def explain_unregistered():
    """Re-raise MMEngine's "X is not in the S::N registry" ``KeyError``
    raised inside the block as :func:`unregistered_message`."""
    try:
        yield
    except KeyError as e:
        text = str(e.args[0]) if e.args else ''
        m = _MISSING.search(text)
        if m is None or 'is not registered in the' in text:
            raise
        reg = _find_registry(m['scope'], m['name'])
        if reg is None:
            raise
        raise KeyError(unregistered_message(reg, m['type'])) from e
