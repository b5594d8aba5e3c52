"""Every registry node of dfertools (DESIGN §4).

Each node is a child of the MMAction2 node of the same name, so a config with
``default_scope='dfertools'`` resolves both our types (``HRDMasker``) and
MMAction2's (``VisionTransformer``, ``Recognizer3D``). ``locations`` name the
dfertools package that fills each node, so building imports it lazily.

``MASKERS`` is ours alone. Third-party packages register into it (or any other
node) in one of two ways:

* ``custom_imports=dict(imports=['my_plugin'])`` in a config (MMEngine), or
* declaring an entry point in the group ``dfertools.plugins``; such packages
  are imported the first time any dfertools registry imports its locations,
  so ``pip install my-masker`` is enough.

A config that names an unregistered type fails with a ``KeyError`` that
names the type, the registry and the closest registered names, e.g.
``type='VideoVit' is not registered in the dfertools::model registry (or its
parents mmaction::model, mmengine::model); did you mean 'VideoViT'?``. The
Runner builds from MMEngine's root registries (which switch to ours through
``default_scope``), so the message is added by a wrapper around
``mmengine.registry.Registry.build`` (installed once, on import); it only
rewrites the message of MMEngine's "is not in the registry" ``KeyError``.
"""
import difflib
import functools
import re

from mmengine.registry import Registry

from .utils import compat  # noqa: F401  (before mmaction)
from .utils.plugins import load_plugins
from mmaction import registry as mma  # noqa: E402


class DFERRegistry(Registry):
    """A ``Registry`` that also imports its parents' locations and the
    ``dfertools.plugins`` entry points.

    MMEngine's ``Registry.get`` falls back to the parent's module dict without
    importing the parent's locations, so ``type='VisionTransformer'`` would
    not resolve unless ``mmaction.models`` happened to be imported already.
    """

    def import_from_location(self) -> None:
        super().import_from_location()
        parent = self.parent
        while parent is not None:
            parent.import_from_location()
            parent = parent.parent
        load_plugins()


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


def _find_registry(start: Registry, scope: str, name: str):
    root = start
    while root.parent is not None:
        root = root.parent
    for reg in (start, *(r for r in [root._search_child(scope)] if r)):
        for r in _lineage(reg):
            if r.scope == scope and r.name == name:
                return r
    return None


def _explain_unregistered(build):
    if getattr(build, '_dfertools_wrapped', False):
        return build

    @functools.wraps(build)
    def wrapped(self, cfg, *args, **kwargs):
        try:
            return build(self, cfg, *args, **kwargs)
        except KeyError as e:
            text = str(e.args[0]) if e.args else ''
            m = _MISSING.search(text)
            if m is None or 'is not registered in the' in text:
                raise
            reg = _find_registry(self, m['scope'], m['name'])
            if reg is None:
                raise
            raise KeyError(unregistered_message(reg, m['type'])) from e

    wrapped._dfertools_wrapped = True
    return wrapped


Registry.build = _explain_unregistered(Registry.build)


import mmengine.registry as _mme_registry  # noqa: E402


def _node(name: str, parent: Registry, *locations: str) -> DFERRegistry:
    return DFERRegistry(name, parent=parent, locations=list(locations))


RUNNERS = _node('runner', mma.RUNNERS, 'dfertools.engine')
RUNNER_CONSTRUCTORS = _node('runner constructor', mma.RUNNER_CONSTRUCTORS,
                            'dfertools.engine')
LOOPS = _node('loop', mma.LOOPS, 'dfertools.engine')
HOOKS = _node('hook', mma.HOOKS, 'dfertools.engine', 'dfertools.datasets')
LOG_PROCESSORS = _node('log processor', mma.LOG_PROCESSORS,
                       'dfertools.engine')
# mmaction2 has no strategy registry: hang ours under MMEngine's
STRATEGIES = _node('strategy', _mme_registry.STRATEGIES, 'dfertools.engine')

DATASETS = _node('dataset', mma.DATASETS, 'dfertools.datasets')
DATA_SAMPLERS = _node('data sampler', mma.DATA_SAMPLERS, 'dfertools.datasets')
TRANSFORMS = _node('transform', mma.TRANSFORMS,
                   'dfertools.datasets.transforms')

MODELS = _node('model', mma.MODELS, 'dfertools.models')
MODEL_WRAPPERS = _node('model_wrapper', mma.MODEL_WRAPPERS,
                       'dfertools.models')
WEIGHT_INITIALIZERS = _node('weight initializer', mma.WEIGHT_INITIALIZERS,
                            'dfertools.models')
MASKERS = DFERRegistry('masker', scope='dfertools',
                       locations=['dfertools.models.maskers'])

OPTIMIZERS = _node('optimizer', mma.OPTIMIZERS, 'dfertools.engine')
OPTIM_WRAPPERS = _node('optim_wrapper', mma.OPTIM_WRAPPERS,
                       'dfertools.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _node('optimizer wrapper constructor',
                                   mma.OPTIM_WRAPPER_CONSTRUCTORS,
                                   'dfertools.engine')
PARAM_SCHEDULERS = _node('parameter scheduler', mma.PARAM_SCHEDULERS,
                         'dfertools.engine')

METRICS = _node('metric', mma.METRICS, 'dfertools.evaluation')
EVALUATOR = _node('evaluator', mma.EVALUATOR, 'dfertools.evaluation')
TASK_UTILS = _node('task util', mma.TASK_UTILS, 'dfertools.models')

VISUALIZERS = _node('visualizer', mma.VISUALIZERS,
                    'dfertools.visualization')
VISBACKENDS = _node('vis_backend', mma.VISBACKENDS,
                    'dfertools.visualization')
INFERENCERS = _node('inferencer', mma.INFERENCERS, 'dfertools.apis')
FUNCTIONS = _node('function', mma.FUNCTION, 'dfertools.engine')
TOKENIZER = _node('tokenizer', mma.TOKENIZER, 'dfertools.models')
