"""Classification head of HDF returning logits and the pooled feature.

X3D-style head (as MMAction2's ``X3DHead``): global average pool over
(T, H, W) -> feature f [N, C]; ``fc2(dropout(relu(fc1(f))))`` -> logits.
:meth:`forward_with_feat` also returns the feature used by the contrastive
loss of DSM (HDF eq. 13): the pooled feature itself (the paper has no
projection head), or an optional 2-layer projection of it
(``proj_channels``). ``forward`` returns logits only, so MMAction2's
``predict`` path (``average_clips='prob'`` -> softmax ``pred_score``) works
unchanged.
"""
from typing import Optional, Tuple

import torch
from mmaction.models.heads.base import BaseHead
from mmengine.model.weight_init import normal_init
from torch import nn

from dfertools.registry import MODELS


@MODELS.register_module()
class HDFHead(BaseHead):
    """X3D-style classification head returning logits and the pooled feature.

    Paper: HDF, "Learning from Heterogeneity: Generalizing Dynamic Facial
    Expression Recognition via Distributionally Robust Optimization", the
    feature of eq. 13 (docs/papers.md).

    Args:
        num_classes (int), in_channels (int): as BaseHead.
        mid_channels (int): width of fc1 (2048 in X3D). 0 = a single Linear.
        dropout_ratio (float): dropout before the classifier.
        proj_channels (int, optional): add a projection (Linear-ReLU-Linear)
            for the contrastive feature.
        init_std (float): std of the normal init of the linear layers.
        **kwargs: BaseHead arguments (``loss_cls``, ``average_clips``...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 mid_channels: int = 2048,
                 dropout_ratio: float = 0.5,
                 proj_channels: Optional[int] = None,
                 init_std: float = 0.01,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        self.init_std = init_std
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio else None
        if mid_channels:
            self.fc1 = nn.Linear(in_channels, mid_channels, bias=False)
            self.relu = nn.ReLU()
            self.fc2 = nn.Linear(mid_channels, num_classes)
        else:
            self.fc1 = None
            self.fc2 = nn.Linear(in_channels, num_classes)
        self.proj = None
        if proj_channels:
            self.proj = nn.Sequential(
                nn.Linear(in_channels, in_channels), nn.ReLU(),
                nn.Linear(in_channels, proj_channels))

    def init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                normal_init(m, std=self.init_std)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """[N, C, T, H, W] (or [N, C]) -> [N, C]."""
        return self.pool(x).flatten(1) if x.dim() == 5 else x

    def classify(self, feat: torch.Tensor) -> torch.Tensor:
        x = feat
        if self.fc1 is not None:
            x = self.relu(self.fc1(x))
        if self.dropout is not None:
            x = self.dropout(x)
        return self.fc2(x)

    def forward_with_feat(self, x: torch.Tensor
                          ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(logits [N, K], contrastive feature [N, D])."""
        feat = self.pooled(x)
        z = self.proj(feat) if self.proj is not None else feat
        return self.classify(feat), z

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.classify(self.pooled(x))
