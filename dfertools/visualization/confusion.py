"""Confusion-matrix figure (docs/design.md, 'Metrics'): row-normalised
percentages + counts.

Rows are ground-truth classes, columns predictions. Each cell shows the
percentage of its row (so the diagonal is the per-class recall, whose mean is
the UAR) and, below it, the raw count. Rows of absent classes are left blank.
Draws on matplotlib's Agg canvas directly (no pyplot, no global backend
change), so it works on headless machines.
"""
from typing import Optional, Sequence

import numpy as np

from .figure_file import save_figure


def plot_confusion_matrix(cm, class_names: Optional[Sequence[str]] = None,
                          out_file: Optional[str] = None,
                          normalize: bool = True,
                          title: Optional[str] = None):
    """Draw ``cm`` ([C, C] counts) and optionally save it as an image.

    Args:
        cm: confusion counts, row = ground truth.
        class_names: tick labels (default: indices).
        out_file: where to save (PNG by extension); parent dirs are created.
        normalize: colour and label cells by row percentage (else by count).
        title: figure title.

    Returns:
        The matplotlib ``Figure`` (closed after saving when ``out_file``).
    """
    # the Agg canvas directly: no global backend switch, no display needed
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cm = np.asarray(cm, dtype=np.int64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f'confusion matrix must be square, got {cm.shape}')
    n = cm.shape[0]
    names = list(class_names) if class_names is not None else \
        [str(i) for i in range(n)]
    if len(names) != n:
        raise ValueError(f'{len(names)} class names for {n} classes')
    support = cm.sum(axis=1, keepdims=True)
    pct = np.divide(100.0 * cm, support, out=np.full(cm.shape, np.nan),
                    where=support > 0)
    shown = pct if normalize else cm.astype(np.float64)

    size = max(4.0, 0.8 * n + 2)
    fig = Figure(figsize=(size, size * 0.9))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    vmax = 100.0 if normalize else max(1.0, float(cm.max()))
    im = ax.imshow(np.nan_to_num(shown), cmap='Blues', vmin=0, vmax=vmax)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                 label='% of row' if normalize else 'count')
    for i in range(n):
        for j in range(n):
            if support[i, 0] == 0:
                continue
            dark = np.nan_to_num(shown[i, j]) > 0.6 * vmax
            ax.text(j, i, f'{pct[i, j]:.1f}%\n{cm[i, j]}', ha='center',
                    va='center', fontsize=8,
                    color='white' if dark else 'black')
    ax.set_xticks(range(n), labels=names, rotation=45, ha='right')
    ax.set_yticks(range(n), labels=names)
    ax.set_xlabel('predicted')
    ax.set_ylabel('ground truth')
    if title:
        ax.set_title(title)
    if out_file:
        save_figure(fig, out_file, dpi=150, close=False)
    else:
        fig.tight_layout()
    return fig
