"""Training curves from MMEngine's ``vis_data/scalars.json``.

``LocalVisBackend`` appends one JSON object per logging step to
``<work_dir>/<timestamp>/vis_data/scalars.json``: training rows carry
``epoch`` (1-based, by-epoch loops) and the logged losses, validation rows
the metrics (``dfer/UAR``, ...) with ``step`` = the epoch. This module
reduces them to per-epoch means and plots several runs on one figure.
"""
import glob
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

from .figure_file import save_figure


def scalars_file(work_dir: str) -> str:
    """The newest ``*/vis_data/scalars.json`` under ``work_dir``."""
    found = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')), key=osp.getmtime)
    if not found:
        raise FileNotFoundError(
            f'{work_dir}: no */vis_data/scalars.json; was the run trained '
            'with a LocalVisBackend (configs/_base_/default_runtime.py)?')
    return found[-1]


def read_rows(path: str) -> List[dict]:
    rows = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def epoch_means(rows: Sequence[dict], key: str) -> Dict[int, float]:
    """Mean of ``key`` over the training rows of each epoch."""
    sums: Dict[int, List[float]] = OrderedDict()
    for row in rows:
        if key in row and 'epoch' in row:
            sums.setdefault(int(row['epoch']), []).append(float(row[key]))
    return {e: sum(v) / len(v) for e, v in sums.items()}


def val_series(rows: Sequence[dict], key: str) -> Dict[int, float]:
    """``key`` of the validation rows (no ``epoch`` field), by ``step``."""
    return {int(r['step']): float(r[key]) for r in rows
            if key in r and 'epoch' not in r}


def run_curves(work_dir: str, loss_key: str = 'loss',
               metric_key: str = 'dfer/UAR') -> dict:
    rows = read_rows(scalars_file(work_dir))
    return dict(loss=epoch_means(rows, loss_key),
                metric=val_series(rows, metric_key))


def plot_training_curves(runs: Dict[str, str], out_file: str,
                         loss_key: str = 'loss',
                         metric_key: Optional[str] = 'dfer/UAR',
                         title: str = '') -> str:
    """One figure: per-epoch training loss (left) and validation metric
    (right, in %) of every run in ``runs`` (name -> work dir)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    panels = 2 if metric_key else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 3.8),
                             squeeze=False)
    for name, work_dir in runs.items():
        curves = run_curves(work_dir, loss_key, metric_key or '')
        loss = curves['loss']
        axes[0, 0].plot(list(loss), list(loss.values()), marker='o',
                        label=name)
        if metric_key:
            metric = curves['metric']
            axes[0, 1].plot(list(metric),
                            [100 * v for v in metric.values()], marker='o',
                            label=name)
    axes[0, 0].set(xlabel='epoch', ylabel=f'training {loss_key} (epoch '
                   'mean)', title='training loss')
    if metric_key:
        axes[0, 1].set(xlabel='epoch', ylabel=f'{metric_key} (%)',
                       title='validation')
    for ax in axes[0]:
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return save_figure(fig, out_file, dpi=110)
