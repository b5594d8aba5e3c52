"""Config keys nobody reads: refused for datasets, warned about at the top.

**Dataset keys.** ``--cfg-options train_dataloader.dataset.foo=1`` used to
end in MMEngine's ``TypeError: ... got an unexpected keyword argument
'foo'`` traceback, raised while the Runner builds its loaders.
:func:`check_dataset_keys` compares every ``*_dataloader.dataset`` dict
(and the ``dataset`` / ``datasets`` of wrappers inside it) with the
arguments its class accepts — its ``__init__`` and, while an ``__init__``
takes ``**kwargs``, its base classes' — and raises
:class:`UnknownConfigKeyError` naming the dataset type, the key, the closest
accepted key and the full list. Types it cannot resolve, and classes whose
arguments are open-ended, are left to the Runner.

**Top-level keys.** A misspelt top-level key (``trian_cfg``) is silently
ignored by MMEngine. :func:`warn_unknown_top_level_keys` warns
(:class:`ConfigKeyWarning`) about every top-level key that is neither read
by ``Runner.from_cfg`` / the Runner / the dfertools tools (:data:`KNOWN`)
nor referred to by name in the config file or one of its ``_base_`` files:
configs keep helper variables (``data_root``, ``train_pipeline``) that
their own lines use, and those are not typos.
"""
import ast
import difflib
import inspect
import os.path as osp
import re
import warnings
from typing import Iterable, List, Optional, Set

RUNNER_KEYS = (
    # Runner.from_cfg
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name',
    # read later by the Runner from its cfg
    'model_wrapper_cfg', 'find_unused_parameters', 'sync_bn', 'compile',
    'activation_checkpointing', 'efficient_conv_bn_eval', 'gpu_ids',
    # MMEngine's config machinery and registries
    'runner_type', 'custom_imports', '_base_', 'filename',
)
DFERTOOLS_KEYS = ('auto_tensorboard',)
KNOWN = frozenset(RUNNER_KEYS + DFERTOOLS_KEYS)
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class UnknownConfigKeyError(TypeError):
    """A config dict names an argument its type does not take."""


class ConfigKeyWarning(UserWarning):
    """A top-level config key that nothing reads."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ''


# -- dataset keys -----------------------------------------------------------
def accepted_arguments(cls) -> Optional[Set[str]]:
    """Keyword arguments ``cls(...)`` accepts, following ``**kwargs`` up
    the MRO; ``None`` when they are open-ended."""
    names: Set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        if klass is object:
            return None  # every __init__ passed **kwargs on
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in params if p.kind in (
            p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != 'self')
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names
    return None


def _dataset_class(type_name, scope: str):
    if not isinstance(type_name, str):
        return type_name if inspect.isclass(type_name) else None
    from mmengine.registry import DefaultScope

    from dfertools.registry import DATASETS
    with DefaultScope.overwrite_default_scope(scope):
        try:
            return DATASETS.get(type_name)
        except Exception:  # noqa: BLE001 - unresolvable: the Runner says why
            return None


def _check_dataset(ds, where: str, scope: str) -> None:
    if not isinstance(ds, dict) or 'type' not in ds:
        return
    cls = _dataset_class(ds['type'], scope)
    accepted = accepted_arguments(cls) if cls is not None else None
    if accepted is not None:
        for key in ds:
            if key != 'type' and key not in accepted:
                raise UnknownConfigKeyError(
                    f'{where}: dataset type {cls.__name__!r} has no argument '
                    f'{key!r}{did_you_mean(key, accepted)}; it accepts: '
                    f'{", ".join(sorted(accepted))}. Fix or remove '
                    f'{where}.{key} (in the config or --cfg-options).')
    _check_dataset(ds.get('dataset'), f'{where}.dataset', scope)
    for i, inner in enumerate(ds.get('datasets') or []):
        _check_dataset(inner, f'{where}.datasets.{i}', scope)


def check_dataset_keys(cfg) -> None:
    """Raise :class:`UnknownConfigKeyError` for an argument a dataset of
    ``cfg``'s dataloaders does not take (see the module docstring)."""
    scope = cfg.get('default_scope') or 'dfertools'
    for loader in DATALOADERS:
        section = cfg.get(loader)
        if isinstance(section, dict):
            _check_dataset(section.get('dataset'), f'{loader}.dataset',
                           scope)


# -- top-level keys ---------------------------------------------------------
_BASE_REF = re.compile(r'_base_\.(\w+)')


def _base_files(path: str, tree: ast.Module) -> List[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_'
                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            bases = [value] if isinstance(value, str) else list(value)
            return [osp.normpath(osp.join(osp.dirname(path), b))
                    for b in bases if isinstance(b, str) and '::' not in b]
    return []


def referenced_names(path: str, seen: Optional[Set[str]] = None) -> Set[str]:
    """Names the config ``path`` and its ``_base_`` files refer to."""
    seen = set() if seen is None else seen
    if path in seen or not osp.isfile(path):
        return set()
    seen.add(path)
    with open(path, encoding='utf-8') as f:
        source = f.read()
    try:
        tree = ast.parse(source, path)
    except SyntaxError:
        return set()
    names = {n.id for n in ast.walk(tree)
             if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    names.update(_BASE_REF.findall(source))
    for base in _base_files(path, tree):
        names |= referenced_names(base, seen)
    return names


def unknown_top_level_keys(cfg) -> List[str]:
    used = referenced_names(cfg.filename) if cfg.filename else set()
    return [k for k in cfg.keys() if k not in KNOWN and k not in used]


def warn_unknown_top_level_keys(cfg) -> List[str]:
    """Warn about each top-level key nothing reads; returns them."""
    unknown = unknown_top_level_keys(cfg)
    for key in unknown:
        warnings.warn(
            f'{cfg.filename}: top-level key {key!r} is not read by '
            "MMEngine's Runner or by dfertools, and no line of the config "
            'uses it'
            f'{did_you_mean(key, KNOWN - {"_base_", "filename"})}; it has '
            'no effect.', ConfigKeyWarning, stacklevel=2)
    return unknown
