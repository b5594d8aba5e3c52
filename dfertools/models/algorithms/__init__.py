"""dfertools.models.algorithms."""
from .hdf import HDFRecognizer  # noqa: F401
