"""dfertools.models.heads."""
from .hdf_head import HDFHead  # noqa: F401
