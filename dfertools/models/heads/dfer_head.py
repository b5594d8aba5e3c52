"""DFERHead: the fine-tuning classifier of VideoMAE / MAE-DFER
(docs/design.md, 'Fine-tuning head').

``mean over tokens -> LayerNorm (eps 1e-6) -> dropout -> Linear``, the
reference's ``use_mean_pooling`` path (``fc_norm`` + ``head``). Pooling over
LGI representative tokens is the backbone's ``out_type='rep'``; a ``[B, D]``
input (``out_type='avg'``) skips the mean. The classifier is initialised with
a truncated normal (std 0.02) scaled by ``init_scale`` (0.001, the
reference's ``init_scale``) and a zero bias. Label smoothing is mmaction's
``label_smooth_eps``; mixup / cutmix are mmaction's ``MixupBlending`` /
``CutmixBlending`` in the data preprocessor (they work on NCTHW clips).
"""
from typing import Dict

import torch
from mmaction.models.heads.base import BaseHead
from torch import nn

from dfertools.registry import MODELS
from ..layers import layer_norm


@MODELS.register_module()
class DFERHead(BaseHead):
    """Args:
        num_classes: number of expression classes.
        in_channels: token width of the backbone.
        loss_cls: mmaction loss config.
        dropout_ratio: dropout before the classifier.
        init_scale: multiplier of the classifier's initial weights.
        average_clips: 'prob' (default: per-view softmax, as
            ``DFERMetric`` expects), 'score' or None.
        **kwargs: passed to mmaction's ``BaseHead`` (e.g.
            ``label_smooth_eps``, ``topk``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 dropout_ratio: float = 0.,
                 init_scale: float = 1e-3,
                 average_clips: str = 'prob',
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, loss_cls,
                         average_clips=average_clips, **kwargs)
        self.init_scale = init_scale
        self.norm = layer_norm(in_channels)
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio > 0 \
            else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, num_classes)
        self._init_classifier()

    def _init_classifier(self) -> None:
        nn.init.trunc_normal_(self.fc_cls.weight, std=.02)
        with torch.no_grad():
            self.fc_cls.weight.mul_(self.init_scale)
        nn.init.zeros_(self.fc_cls.bias)
        nn.init.ones_(self.norm.weight)
        nn.init.zeros_(self.norm.bias)

    def init_weights(self) -> None:
        self._init_classifier()

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """``[B, N, D]`` tokens (or ``[B, D]``) -> ``[B, num_classes]``."""
        if x.ndim == 3:
            x = x.mean(1)
        elif x.ndim != 2:
            raise ValueError(
                f'DFERHead expects [B, N, D] tokens or [B, D] features, got '
                f'shape {tuple(x.shape)}; set the backbone out_type to '
                "'tokens', 'rep' or 'avg'.")
        # float32 logits under bf16/fp16 autocast: the loss and mmaction's
        # top-k accuracy (numpy, which has no bfloat16) read them
        return self.fc_cls(self.dropout(self.norm(x))).float()
