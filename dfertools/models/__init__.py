"""Models: backbones, necks, maskers, soft masks, heads, losses, algorithms."""
from . import (algorithms, backbones, heads,  # noqa: F401
               losses, maskers, necks, soft_masks)
