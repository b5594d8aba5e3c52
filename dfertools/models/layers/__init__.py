"""Building blocks shared by every token backbone and decoder."""
from .attention import Attention, CrossAttention, attention_core
from .drop_path import DropPath, drop_path
from .mlp import Mlp
from .sinusoid_pos_embed import (SinusoidPositionEmbedding, grid_numel,
                                 sinusoid_table)
from .transformer_block import LN_EPS, TransformerBlock, layer_norm
from .tubelet_embed import TubeletEmbed
from .weight_init import init_vit_weights

__all__ = [
    'Attention', 'CrossAttention', 'attention_core', 'DropPath', 'drop_path',
    'Mlp', 'SinusoidPositionEmbedding', 'sinusoid_table', 'grid_numel',
    'TransformerBlock', 'layer_norm', 'LN_EPS', 'TubeletEmbed',
    'init_vit_weights'
]
from .lgi_block import LGIBlock  # noqa: E402,F401

__all__.append('LGIBlock')
