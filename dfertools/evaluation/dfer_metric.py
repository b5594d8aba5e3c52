"""DFERMetric: WAR, UAR, per-class recall, F1, confusion matrix
(docs/design.md, 'Metrics').

Multi-view protocol (docs/design.md, 'Test views'): each test view is its own
sample carrying the
metainfo ``video_id`` (str) and ``view_id`` (int). ``pred_score`` holds that
view's softmax probabilities (heads use ``average_clips='prob'``); with
``scores='logits'`` raw scores are soft-maxed here instead. The probabilities
of all views of a video are averaged and the video is classified by the
argmax, so every video counts once in WAR/UAR.

Distributed evaluation: per-view records are gathered by mmengine's
``collect_results`` (which cuts padding back to the dataset size), and any
remaining duplicate ``(video_id, view_id)`` record is dropped before the merge
(see :mod:`dfertools.evaluation.predictions`).

All values are fractions in [0, 1]; the metric math (and its conventions: UAR
over classes present in the ground truth, F1 label sets) lives in
:mod:`dfertools.evaluation.functional`.
"""
from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from dfertools.registry import METRICS
from .dump_evaluator import format_metrics
from .functional import softmax, summarize
from .predictions import deduplicate, merge_views, save_dump


def _to_numpy(x) -> np.ndarray:
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


@METRICS.register_module()
class DFERMetric(BaseMetric):
    """Video-level DFER metrics with multi-view averaging and JSON dumps.

    Args:
        num_classes: number of classes; inferred from the score length when
            None.
        class_names: names for per-class outputs; defaults to the dataset
            metainfo ``classes`` when it has the right length, else indices.
        scores: ``'prob'`` if ``pred_score`` already holds probabilities (the
            dfertools default), ``'logits'`` to soft-max raw scores per view.
        dump_path: if set, rank 0 writes every per-view record plus the
            metrics summary to this JSON file (``tools/analysis/cv_report.py``
            merges such dumps across folds).
        collect_device / prefix / collect_dir: as in mmengine's BaseMetric.
    """
    default_prefix = 'dfer'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 class_names: Optional[Sequence[str]] = None,
                 scores: str = 'prob',
                 dump_path: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        if scores not in ('prob', 'logits'):
            raise ValueError(f"DFERMetric: scores must be 'prob' or "
                             f"'logits', got {scores!r}")
        self.num_classes = num_classes
        self.class_names = list(class_names) if class_names else None
        self.scores = scores
        self.dump_path = dump_path

    # -- per batch ---------------------------------------------------------
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store one record per view: video_id, view_id, probs, label."""
        for sample in data_samples:
            score = sample.get('pred_score')
            if score is None:
                raise KeyError('DFERMetric needs `pred_score` in the model '
                               'outputs (an ActionDataSample from a '
                               'recognizer head).')
            score = _to_numpy(score).astype(np.float64).reshape(-1)
            if self.scores == 'logits':
                score = softmax(score)
            elif (score.min() < -1e-6 or abs(score.sum() - 1.0) > 1e-2):
                raise ValueError(
                    'DFERMetric(scores="prob") got a pred_score that is not a '
                    f'probability vector (sum {score.sum():.4f}); set the '
                    "head's average_clips='prob' or use "
                    "DFERMetric(scores='logits').")
            label = _to_numpy(sample['gt_label']).reshape(-1)
            if label.size != 1:
                raise ValueError('DFERMetric handles single-label samples; '
                                 f'got gt_label of size {label.size}')
            video_id = sample.get('video_id', sample.get('filename'))
            if video_id is None:
                raise KeyError(
                    'DFERMetric needs the metainfo `video_id` (or mmaction '
                    '`filename`) on every sample to merge views; dfertools '
                    'datasets set it (docs/developer_guide.md).')
            self.results.append(dict(
                video_id=str(video_id),
                view_id=int(sample.get('view_id', 0)),
                probs=score.astype(np.float32),
                label=int(label[0])))

    # -- on rank 0 after collection ---------------------------------------
    def _resolve_num_classes(self, records: List[dict]) -> int:
        lengths = {len(r['probs']) for r in records}
        if len(lengths) != 1:
            raise ValueError(f'pred_score lengths differ: {sorted(lengths)}')
        inferred = lengths.pop()
        if self.num_classes is not None and self.num_classes != inferred:
            raise ValueError(f'DFERMetric(num_classes={self.num_classes}) but '
                             f'pred_score has {inferred} entries')
        return inferred

    def _resolve_class_names(self, num_classes: int) -> Optional[List[str]]:
        if self.class_names is not None:
            if len(self.class_names) != num_classes:
                raise ValueError(f'{len(self.class_names)} class_names for '
                                 f'{num_classes} classes')
            return self.class_names
        meta_names = (self.dataset_meta or {}).get('classes')
        if meta_names is not None and len(meta_names) == num_classes:
            return [str(n) for n in meta_names]
        return None

    def compute_metrics(self, results: list) -> dict:
        records = deduplicate(results)
        num_classes = self._resolve_num_classes(records)
        names = self._resolve_class_names(num_classes)
        _, probs, labels = merge_views(records)
        summary = summarize(labels, probs.argmax(axis=1), num_classes, names)
        num_views = len(records)
        if num_views < len(results):
            MMLogger.get_current_instance().info(
                f'DFERMetric dropped {len(results) - num_views} duplicated '
                '(video_id, view_id) records (sampler padding).')
        metrics = dict(UAR=summary['UAR'], WAR=summary['WAR'],
                       macro_F1=summary['macro_F1'],
                       weighted_F1=summary['weighted_F1'],
                       num_videos=summary['num_samples'],
                       num_views=num_views)
        for name, rec in summary['recall'].items():
            if rec is not None:
                metrics[f'recall_{name}'] = rec
        metrics['confusion_matrix'] = summary['confusion_matrix']
        if self.dump_path:
            self._dump(records, num_classes, names, summary, metrics)
        return metrics

    def _dump(self, records, num_classes, names, summary, metrics) -> None:
        """Log the metrics, then write the dump: a failed write never
        takes the values of a whole test run with it."""
        logger = MMLogger.get_current_instance()
        shown = {k: v for k, v in metrics.items() if k != 'confusion_matrix'}
        logger.info(f'DFERMetric (before writing {self.dump_path}): '
                    + format_metrics(shown))
        try:
            save_dump(self.dump_path, records, num_classes, names,
                      metrics=summary)
        except OSError as e:
            raise OSError(
                e.errno, f'DFERMetric could not write the dump '
                f'{self.dump_path!r} ({e.strerror or e}); the metrics are in '
                'the log line above. Free space or choose another --dump '
                'path and run the test again for the per-sample records.'
            ) from e
        logger.info(f'DFERMetric wrote {len(records)} per-view records to '
                    f'{self.dump_path}')
