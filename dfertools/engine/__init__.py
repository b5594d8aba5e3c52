"""dfertools.engine."""
from .atomic_checkpoint_hook import AtomicCheckpointHook  # noqa: F401
from .finite_loss_hook import NonFiniteLossError, NonFiniteLossHook  # noqa: F401,E501
