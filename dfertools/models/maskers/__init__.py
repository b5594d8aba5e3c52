"""Maskers (``MASKERS`` registry): which tokens the encoder sees."""
from .base import BaseMasker, MaskOutput  # noqa: F401
from .random import RandomMasker  # noqa: F401
from .tube import TubeMasker  # noqa: F401
from .tube_window import TubeWindowMasker  # noqa: F401
from .hrd import HRDMasker  # noqa: F401
from .fixed_tube import FixedTubeMasker  # noqa: F401
