"""dfertools.evaluation."""
from .dfer_metric import DFERMetric  # noqa: F401
from .fold_report import fold_report  # noqa: F401
