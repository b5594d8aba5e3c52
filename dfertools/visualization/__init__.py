"""dfertools.visualization."""
from .soft_masks import render_soft_masks  # noqa: F401
