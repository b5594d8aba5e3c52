"""dfertools.visualization."""
from .confusion import plot_confusion_matrix  # noqa: F401
