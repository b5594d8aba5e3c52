"""dfertools.engine."""
from .runner import DFERRunner  # noqa: F401
