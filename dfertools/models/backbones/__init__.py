"""dfertools.models.backbones."""
from .video_vit import VideoViT  # noqa: F401
from .lgi_former import LGIFormer  # noqa: F401
from .dam import DAM  # noqa: F401
from .x3d_dam import X3DWithDAM  # noqa: F401
