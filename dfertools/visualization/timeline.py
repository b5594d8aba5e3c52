"""Expression timeline figure: the probability of each class against time
(one line per class, from sliding-window inference) above a strip of
thumbnails of the frames the model saw (face crops with ``--detect-face``),
each placed at its time. Drawn on matplotlib's Agg canvas (no display)."""
from typing import Optional, Sequence

import numpy as np

from .figure_file import save_figure


def plot_timeline(times: Sequence[float], probs: np.ndarray,
                  class_names: Sequence[str], frames: Sequence[np.ndarray],
                  fps: float, out_file: Optional[str] = None,
                  num_thumbs: int = 10, title: Optional[str] = None):
    """Draw the timeline; save it to ``out_file`` (PNG) if given.

    ``times`` [W] window centres (s), ``probs`` [W, C], ``frames`` all
    frames of the video (RGB) at ``fps``. Returns the ``Figure``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    probs = np.asarray(probs, dtype=float)
    duration = max(len(frames) / fps, 1e-6)
    fig = Figure(figsize=(10, 4.5))
    FigureCanvasAgg(fig)
    ax, strip = fig.subplots(2, 1, sharex=True,
                             gridspec_kw=dict(height_ratios=(3, 1)))
    for c, name in enumerate(class_names):
        ax.plot(times, probs[:, c], marker='o', markersize=3, label=name)
    ax.set_ylim(0, 1)
    ax.set_ylabel('probability')
    ax.legend(loc='upper left', bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    n = max(1, min(num_thumbs, len(frames)))
    width = duration / n
    for k in range(n):
        t0 = k * width
        idx = min(int(round((t0 + width / 2) * fps)), len(frames) - 1)
        strip.imshow(frames[idx], extent=(t0, t0 + width, 0, 1),
                     aspect='auto')
    strip.set_xlim(0, duration)
    strip.set_ylim(0, 1)
    strip.set_yticks([])
    strip.set_xlabel('time (s)')
    if out_file:
        save_figure(fig, out_file, close=False)
    else:
        fig.tight_layout()
    return fig
