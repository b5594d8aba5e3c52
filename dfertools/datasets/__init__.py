"""dfertools.datasets."""
from . import transforms  # noqa: F401
from .dfer_dataset import DFERDataset, UnlabeledVideoDataset  # noqa: F401
