"""``MetricsBeforeDumpEvaluator``: the metrics are in the log before any
results file is written.

MMEngine's ``Evaluator`` runs its metrics in order and the test loop logs
their values only after the last one returned. With ``tools/test.py --dump
FILE.pkl`` the last one is ``DumpResults``, which writes the pickle inside
``compute_metrics``: if that write fails (disk full, folder gone), every
metric computed before it is lost with the exception, after the whole test
set was run. This evaluator logs the values computed so far before it runs a
metric that writes a file (``DumpResults``), then behaves exactly like
``Evaluator`` (same result dict, same name-clash check). ``DFERMetric``,
which writes its JSON dump itself, logs its values before writing too.
``tools/test.py --dump`` selects this evaluator when it falls back to
``DumpResults``.
"""
from mmengine.evaluator import DumpResults, Evaluator
from mmengine.logging import print_log

from dfertools.registry import EVALUATOR


def format_metrics(metrics: dict) -> str:
    return '  '.join(f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}'
                     for k, v in metrics.items())


@EVALUATOR.register_module()
class MetricsBeforeDumpEvaluator(Evaluator):
    """``Evaluator`` that logs the metrics before a dumping metric runs."""

    def evaluate(self, size: int) -> dict:
        metrics: dict = {}
        for metric in self.metrics:
            if isinstance(metric, DumpResults) and metrics:
                print_log('metrics (logged before the results file '
                          f'{metric.out_file_path} is written): '
                          + format_metrics(metrics), logger='current')
            results = metric.evaluate(size)
            for name in results:
                if name in metrics:
                    raise ValueError(
                        'There are multiple evaluation results with the same '
                        f'metric name {name}. Please make sure all metrics '
                        'have different prefixes.')
            metrics.update(results)
        return metrics
