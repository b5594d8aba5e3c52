"""Pure DFER metric math on numpy arrays (docs/design.md,
'Metrics').

Shared by :class:`~dfertools.evaluation.DFERMetric`, the k-fold report
(:mod:`dfertools.evaluation.fold_report`) and the tests, so every number in a
paper table comes from one implementation.

Conventions (deliberate choices):

* **WAR** (weighted average recall) = overall accuracy = trace(C) / sum(C).
* **UAR** (unweighted average recall) = mean of the per-class recalls over the
  classes *present in the ground truth*. A class that is predicted but never
  occurs has no recall and is not averaged (mmaction2's
  ``mean_class_accuracy`` scores it 0, which is wrong for UAR; see
  docs/design.md, 'Upstream breakages and shims').
* **Macro F1** averages the per-class F1 over the classes that occur in the
  ground truth *or* the predictions (scikit-learn's default label set): a
  class that is only ever predicted has F1 = 0 and does lower macro F1, since
  F1 is meant to punish false positives. **Weighted F1** weights each class
  by its support (ground-truth count), so absent classes weigh 0.
* Precision, recall and F1 of a class with a zero denominator are 0
  (scikit-learn's ``zero_division=0``); recall of an absent class is NaN in
  :func:`per_class_recall` so that callers can tell "absent" from "0".
"""
from typing import Dict, Optional, Sequence

import numpy as np


def _as_labels(x, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f'{name} must be a 1-D array of class indices, got '
                         f'shape {arr.shape}')
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise ValueError(f'{name} must hold integer class indices')
    return arr.astype(np.int64)


def confusion_matrix(labels, preds, num_classes: int) -> np.ndarray:
    """``[C, C]`` int64 counts; row = ground truth, column = prediction."""
    labels = _as_labels(labels, 'labels')
    preds = _as_labels(preds, 'preds')
    if labels.shape != preds.shape:
        raise ValueError(f'labels {labels.shape} and preds {preds.shape} '
                         'differ in length')
    for name, arr in (('labels', labels), ('preds', preds)):
        if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
            bad = arr.min() if arr.min() < 0 else arr.max()
            raise ValueError(
                f'{name} hold class {bad} outside [0, {num_classes}); check '
                'num_classes or the annotation labels (0-based).')
    flat = labels * num_classes + preds
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes).astype(np.int64)


def per_class_recall(cm: np.ndarray) -> np.ndarray:
    """Recall per class; NaN for classes absent from the ground truth."""
    cm = np.asarray(cm, dtype=np.float64)
    support = cm.sum(axis=1)
    recall = np.full(cm.shape[0], np.nan)
    present = support > 0
    recall[present] = np.diag(cm)[present] / support[present]
    return recall


def uar(cm: np.ndarray) -> float:
    """Unweighted average recall over the classes present in the labels."""
    recall = per_class_recall(cm)
    if np.all(np.isnan(recall)):
        raise ValueError('UAR of an empty confusion matrix is undefined')
    return float(np.nanmean(recall))


def war(cm: np.ndarray) -> float:
    """Weighted average recall = accuracy."""
    cm = np.asarray(cm)
    total = cm.sum()
    if total == 0:
        raise ValueError('WAR of an empty confusion matrix is undefined')
    return float(np.trace(cm) / total)


def f1_scores(cm: np.ndarray) -> Dict[str, object]:
    """Per-class precision/recall/F1 plus macro and weighted F1."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp),
                          where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp),
                   where=denom > 0)
    used = (support > 0) | (predicted > 0)
    macro = float(f1[used].mean()) if used.any() else float('nan')
    weighted = (float((f1 * support).sum() / support.sum())
                if support.sum() > 0 else float('nan'))
    return dict(precision=precision, recall=recall, f1=f1, macro_f1=macro,
                weighted_f1=weighted)


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def summarize(labels, preds, num_classes: int,
              class_names: Optional[Sequence[str]] = None) -> dict:
    """Every DFER metric of one prediction set, JSON-friendly.

    Returns ``UAR``, ``WAR``, ``macro_F1``, ``weighted_F1`` (fractions in
    [0, 1]), ``num_samples``, ``recall`` (dict class name -> recall, ``None``
    for absent classes), ``support`` and ``confusion_matrix`` (nested lists,
    row = ground truth).
    """
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(f'{len(class_names)} class names given for '
                         f'{num_classes} classes')
    names = (list(class_names) if class_names is not None else
             [str(i) for i in range(num_classes)])
    cm = confusion_matrix(labels, preds, num_classes)
    recall = per_class_recall(cm)
    f1 = f1_scores(cm)
    return dict(
        UAR=uar(cm),
        WAR=war(cm),
        macro_F1=f1['macro_f1'],
        weighted_F1=f1['weighted_f1'],
        num_samples=int(cm.sum()),
        recall={n: (None if np.isnan(r) else float(r))
                for n, r in zip(names, recall)},
        support={n: int(s) for n, s in zip(names, cm.sum(axis=1))},
        class_names=names,
        confusion_matrix=cm.tolist(),
    )
