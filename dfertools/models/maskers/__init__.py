"""Maskers (``MASKERS`` registry): which tokens the encoder sees."""
from .base import BaseMasker, MaskOutput  # noqa: F401
from .fixed_tube import FixedTubeMasker  # noqa: F401
