"""dfertools.visualization."""
from .pretrain_plots import plot_masks, plot_reconstruction  # noqa: F401
from .soft_masks import render_soft_masks  # noqa: F401
from .confusion import plot_confusion_matrix  # noqa: F401
from .timeline import plot_timeline  # noqa: F401
