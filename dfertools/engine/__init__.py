"""dfertools.engine."""
from .sam_optim_wrapper import SAMOptimWrapper  # noqa: F401
