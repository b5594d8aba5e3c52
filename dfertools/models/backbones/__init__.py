"""dfertools.models.backbones."""
from .video_vit import VideoViT  # noqa: F401
from .lgi_former import LGIFormer  # noqa: F401
