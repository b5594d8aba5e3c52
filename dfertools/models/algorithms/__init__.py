"""dfertools.models.algorithms."""
from .hdf import HDFRecognizer  # noqa: F401
from .hdf_ddp import HDFDistributedDataParallel  # noqa: F401
