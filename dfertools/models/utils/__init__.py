"""Model utilities: checkpoint conversion and loading."""
from .checkpoint_convert import (ConvertedCheckpoint, convert_state_dict,
                                 load_pretrained_backbone, read_state_dict)

__all__ = [
    'ConvertedCheckpoint', 'convert_state_dict', 'load_pretrained_backbone',
    'read_state_dict'
]
