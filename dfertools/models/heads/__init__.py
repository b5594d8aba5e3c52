"""dfertools.models.heads."""
from .soft_mask_cls_head import SoftMaskClsHead  # noqa: F401
