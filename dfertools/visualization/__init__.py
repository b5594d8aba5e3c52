"""dfertools.visualization."""
from .pretrain_plots import plot_masks, plot_reconstruction  # noqa: F401
