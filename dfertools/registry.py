"""Every registry node of dfertools (docs/design.md, 'Registries and
plugins'): declarations only.

Each node is a child of the MMAction2 node of the same name, so a config with
``default_scope='dfertools'`` resolves both our types (``HRDMasker``) and
MMAction2's (``VisionTransformer``, ``Recognizer3D``). ``locations`` name the
dfertools package that fills each node, so building imports it lazily.

``MASKERS``, ``FACE_DETECTORS`` and ``PIPELINES`` are ours alone. Third-party packages
register into them (or any other node) in one of two ways:

* ``custom_imports=dict(imports=['my_plugin'])`` in a config (MMEngine), or
* declaring an entry point in the group ``dfertools.plugins``; such packages
  are imported the first time any dfertools registry imports its locations,
  so ``pip install my-masker`` is enough.

The node class (plugin loading, the "did you mean" message for an
unregistered type) is :class:`dfertools.utils.registry_node.DFERRegistry`.
"""
import mmengine.registry as mme
from mmengine.registry import Registry

from .utils import compat  # noqa: F401  (before mmaction)
from .utils.registry_node import (DFERRegistry, suggest_types,  # noqa: F401
                                  unregistered_message)
from mmaction import registry as mma  # noqa: E402


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
STRATEGIES = _node('strategy', mme.STRATEGIES, 'dfertools.engine')

DATASETS = _node('dataset', mma.DATASETS, 'dfertools.datasets')
DATA_SAMPLERS = _node('data sampler', mma.DATA_SAMPLERS, 'dfertools.datasets')
TRANSFORMS = _node('transform', mma.TRANSFORMS,
                   'dfertools.datasets.transforms')
# builders of a dataset's whole transform list from a few parameters
PIPELINES = DFERRegistry('pipeline', scope='dfertools',
                         locations=['dfertools.datasets'])

MODELS = _node('model', mma.MODELS, 'dfertools.models')
MODEL_WRAPPERS = _node('model_wrapper', mma.MODEL_WRAPPERS,
                       'dfertools.models')
WEIGHT_INITIALIZERS = _node('weight initializer', mma.WEIGHT_INITIALIZERS,
                            'dfertools.models')
MASKERS = DFERRegistry('masker', scope='dfertools',
                       locations=['dfertools.models.maskers'])
FACE_DETECTORS = DFERRegistry('face detector', scope='dfertools',
                              locations=['dfertools.datasets.faces'])

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
