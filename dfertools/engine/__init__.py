"""dfertools.engine."""
from .runner import DFERRunner  # noqa: F401
from .layer_decay_constructor import \
    LayerDecayOptimWrapperConstructor  # noqa: F401
