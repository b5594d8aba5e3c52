"""dfertools.engine."""
from .runner import DFERRunner  # noqa: F401
from .sam_optim_wrapper import SAMOptimWrapper  # noqa: F401
