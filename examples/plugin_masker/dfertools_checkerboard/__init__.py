"""Example dfertools plugin: registers ``CheckerboardMasker`` in MASKERS."""
from .checkerboard_masker import CheckerboardMasker

__all__ = ['CheckerboardMasker']
