"""dfertools.engine."""
from .atomic_checkpoint_hook import AtomicCheckpointHook  # noqa: F401
from .finite_loss_hook import (NonFiniteLossError,  # noqa: F401
                               NonFiniteLossHook)
from .layer_decay_constructor import \
    LayerDecayOptimWrapperConstructor  # noqa: F401
from .runner import DFERRunner  # noqa: F401
