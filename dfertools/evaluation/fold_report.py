"""k-fold aggregation of DFERMetric dumps (docs/design.md,
'k-fold report').

For k fold dumps (one test split each) this computes

* per fold: UAR, WAR, number of videos (views merged per video first);
* mean ± std of the per-fold UAR and WAR — how DFEW papers report 5-fold
  results. Deliberate choice: the std is the **sample** standard deviation
  (``ddof=1``, the unbiased-variance estimator over folds); with a single
  fold it is reported as NaN;
* pooled UAR/WAR over all folds' videos together (videos of different folds
  are kept apart by the tuple key ``(fold, video_id)``), and the pooled
  confusion matrix.

Values are fractions in [0, 1]; :func:`format_table` prints percentages.
"""
from typing import List, Optional, Sequence

import numpy as np

from .functional import summarize
from .predictions import load_dump, merge_views

STD_DDOF = 1


def mean_sample_std(values: Sequence[float]):
    """``(mean, sample std)`` of ``values`` (ddof=:data:`STD_DDOF`; NaN
    when there are too few values for it)."""
    vals = np.asarray(values, dtype=np.float64)
    std = float(vals.std(ddof=STD_DDOF)) if len(vals) > STD_DDOF \
        else float('nan')
    return float(vals.mean()), std


def _class_names(dumps: List[dict], paths: Sequence[str],
                 class_names: Optional[Sequence[str]]) -> List[str]:
    num = {d['num_classes'] for d in dumps}
    if len(num) != 1:
        raise ValueError('the dumps disagree on the number of classes: ' +
                         ', '.join(f'{p}: {d["num_classes"]}'
                                   for p, d in zip(paths, dumps)))
    num_classes = num.pop()
    if class_names is not None:
        if len(class_names) != num_classes:
            raise ValueError(f'{len(class_names)} class names given for '
                             f'{num_classes} classes')
        return list(class_names)
    named = [d['class_names'] for d in dumps if d.get('class_names')]
    for p, n in zip(paths, named):
        if n != named[0]:
            raise ValueError(f'{p}: class names {n} differ from '
                             f'{named[0]}; pass --class-names explicitly.')
    return list(named[0]) if named else [str(i) for i in range(num_classes)]


def fold_report(paths: Sequence[str],
                class_names: Optional[Sequence[str]] = None) -> dict:
    """Aggregate fold dumps into a JSON-friendly report."""
    if not paths:
        raise ValueError('fold_report needs at least one dump')
    dumps = [load_dump(p) for p in paths]
    names = _class_names(dumps, paths, class_names)
    num_classes = len(names)
    folds, all_probs, all_labels = [], [], []
    for i, (path, dump) in enumerate(zip(paths, dumps)):
        _, probs, labels = merge_views(dump['records'], key_prefix=(i,))
        s = summarize(labels, probs.argmax(1), num_classes, names)
        folds.append(dict(fold=i + 1, path=str(path), UAR=s['UAR'],
                          WAR=s['WAR'], macro_F1=s['macro_F1'],
                          weighted_F1=s['weighted_F1'],
                          num_videos=s['num_samples']))
        all_probs.append(probs)
        all_labels.append(labels)
    probs = np.concatenate(all_probs)
    labels = np.concatenate(all_labels)
    pooled = summarize(labels, probs.argmax(1), num_classes, names)

    uar_m, uar_s = mean_sample_std([f['UAR'] for f in folds])
    war_m, war_s = mean_sample_std([f['WAR'] for f in folds])
    return dict(
        folds=folds,
        mean=dict(UAR=uar_m, WAR=war_m),
        std=dict(UAR=uar_s, WAR=war_s),
        std_ddof=STD_DDOF,
        pooled=pooled,
        class_names=names,
    )


def format_table(report: dict) -> str:
    """The report as a plain-text table (percent, 2 decimals)."""
    lines = [f'{"fold":>6} {"UAR":>8} {"WAR":>8} {"n":>7}  dump']
    for f in report['folds']:
        lines.append(f'{f["fold"]:>6} {100 * f["UAR"]:8.2f} '
                     f'{100 * f["WAR"]:8.2f} {f["num_videos"]:>7}  '
                     f'{f["path"]}')
    m, s = report['mean'], report['std']
    lines.append(f'mean ± std (sample std, ddof={report["std_ddof"]}): '
                 f'UAR {100 * m["UAR"]:.2f} ± {100 * s["UAR"]:.2f}  '
                 f'WAR {100 * m["WAR"]:.2f} ± {100 * s["WAR"]:.2f}')
    p = report['pooled']
    lines.append(f'pooled over {p["num_samples"]} videos: '
                 f'UAR {100 * p["UAR"]:.2f}  WAR {100 * p["WAR"]:.2f}')
    rec = '  '.join(f'{n} {"-" if r is None else f"{100 * r:.1f}"}'
                    for n, r in p['recall'].items())
    lines.append(f'pooled recall per class: {rec}')
    return '\n'.join(lines)
