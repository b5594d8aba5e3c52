"""dfertools.engine."""
from .atomic_checkpoint_hook import AtomicCheckpointHook  # noqa: F401
from .finite_loss_hook import (NonFiniteLossError,  # noqa: F401
                               NonFiniteLossHook)
from .runner import DFERRunner  # noqa: F401
from .layer_decay_constructor import \
    LayerDecayOptimWrapperConstructor  # noqa: F401
from .grad_norm_optim_wrapper import (AmpGradNormOptimWrapper,  # noqa: F401
                                      GradNormOptimWrapper)
from .sam_optim_wrapper import SAMOptimWrapper  # noqa: F401
from .rng_state_hook import RNGStateHook  # noqa: F401
from .fsdp_strategy import DFERFSDPStrategy  # noqa: F401
from .test_scalars_hook import TestScalarsHook  # noqa: F401
