"""ViT weight initialisation (VideoMAE): Linear weights truncated normal
(std 0.02) with zero bias, LayerNorm weight 1 / bias 0."""
from torch import nn


def init_vit_weights(module: nn.Module, std: float = .02) -> None:
    """Apply to every submodule of ``module``."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
