"""dfertools.models.backbones."""
from .dam import DAM  # noqa: F401
from .x3d_dam import X3DWithDAM  # noqa: F401
