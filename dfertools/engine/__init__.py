"""dfertools.engine."""
from .layer_decay_constructor import \
    LayerDecayOptimWrapperConstructor  # noqa: F401
from .runner import DFERRunner  # noqa: F401
