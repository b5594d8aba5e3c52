"""dfertools.models.heads."""
from .dfer_head import DFERHead  # noqa: F401
