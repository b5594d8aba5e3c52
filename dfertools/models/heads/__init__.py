"""dfertools.models.heads."""
from .dfer_head import DFERHead  # noqa: F401
from .soft_mask_cls_head import SoftMaskClsHead  # noqa: F401
from .hdf_head import HDFHead  # noqa: F401
