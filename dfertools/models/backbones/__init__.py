"""dfertools.models.backbones."""
from .video_vit import VideoViT  # noqa: F401
