"""dfertools.evaluation."""
from .dfer_metric import DFERMetric  # noqa: F401
from .dump_evaluator import MetricsBeforeDumpEvaluator  # noqa: F401
from .fold_report import fold_report  # noqa: F401
