"""Classification branch of AdaTosk on the encoded visible tokens (§3, eq. 1,
12-13).

``logits = MLP(mean_{t,s}(E ⊙ S))``: the soft mask ``S`` (eq. 12, an
:class:`AdaptiveTemporalSoftMask`, or none for AdaTosk without †) weights the
encoded visible tokens ``E [B, n_t, n_s, D]`` (eq. 1), which are mean pooled
and classified by a two-layer MLP (paper §4.1: "global pooling and ... a
two-layer MLP"). The loss is cross-entropy (eq. 13); ``SupervisedMAE``
applies ``lambda_cls`` (eq. 2).

Predictions follow the mmaction head convention (``average_clips='prob'``
-> ``pred_score`` holds softmax probabilities), so ``DFERMetric`` works.
Deliberate choice: unlike mmaction's ``BaseHead.loss_by_feat`` we log the
top-1 accuracy as a device tensor (no ``.cpu()`` host sync in the step;
docs/design.md, 'Performance principles').
"""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmaction.models.heads import BaseHead
from torch import nn

from dfertools.registry import MODELS
from ..layers import Mlp


@MODELS.register_module()
class SoftMaskClsHead(BaseHead):
    """Soft-masked mean pooling + two-layer MLP classifier.

    Paper: AdaTosk, "Soften the Mask: Adaptive Temporal Soft Mask for Efficient
    Dynamic Facial Expression Recognition", eq. 1, 12-13 (docs/papers.md).

    Args:
        num_classes (int): number of expression classes.
        in_channels (int): token width ``D``.
        soft_mask (dict, optional): config of the soft mask (e.g.
            ``dict(type='AdaptiveTemporalSoftMask', ...)``; its
            ``embed_dims`` defaults to ``in_channels``); ``None`` pools the
            visible tokens plainly.
        hidden_channels (int, optional): MLP width; defaults to
            ``in_channels``.
        dropout (float): dropout on the pooled feature.
        loss_cls (dict): classification loss (CE, eq. 13).
        label_smooth_eps (float): label smoothing.
        average_clips (str): ``'prob'`` so predictions are probabilities.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 soft_mask: Optional[dict] = None,
                 hidden_channels: Optional[int] = None,
                 dropout: float = 0.0,
                 loss_cls: dict = dict(type='CrossEntropyLoss'),
                 label_smooth_eps: float = 0.0,
                 average_clips: Optional[str] = 'prob',
                 init_cfg: Optional[dict] = None):
        super().__init__(num_classes, in_channels, loss_cls=loss_cls,
                         label_smooth_eps=label_smooth_eps, topk=(1, ),
                         average_clips=average_clips, init_cfg=init_cfg)
        if soft_mask:
            soft_mask = dict(soft_mask)
            soft_mask.setdefault('embed_dims', in_channels)
        self.soft_mask = MODELS.build(soft_mask) if soft_mask else None
        self.dropout = nn.Dropout(dropout)
        self.mlp = Mlp(in_channels, hidden_channels or in_channels,
                       num_classes)

    def pool(self, tokens: torch.Tensor) -> torch.Tensor:
        """``[B, n_t, n_s, D] -> [B, D]``: mean of ``E ⊙ S`` (eq. 1)."""
        if tokens.dim() != 4:
            raise ValueError(
                'SoftMaskClsHead takes visible tokens [B, n_t, n_s, D], got '
                f'shape {tuple(tokens.shape)}')
        if self.soft_mask is None:
            return tokens.mean((1, 2))
        return self.soft_mask.pool(tokens)

    def forward(self, tokens: torch.Tensor, **kwargs) -> torch.Tensor:
        """Class logits ``[B, num_classes]``."""
        return self.mlp(self.dropout(self.pool(tokens)))

    def loss_by_feat(self, cls_scores: torch.Tensor,
                     data_samples) -> Dict[str, torch.Tensor]:
        """CE (eq. 13) times ``loss_weight``; ``acc_cls`` for the log."""
        labels = torch.stack([ds.gt_label for ds in data_samples]).to(
            cls_scores.device).view(-1)
        if labels.numel() != cls_scores.shape[0]:
            raise ValueError(
                'SoftMaskClsHead expects one integer gt_label per sample; '
                f'got {labels.numel()} labels for {cls_scores.shape[0]} '
                'samples (soft/multi labels are not supported)')
        target = labels
        if self.label_smooth_eps:
            target = F.one_hot(labels, self.num_classes).to(cls_scores)
            target = (1 - self.label_smooth_eps) * target + \
                self.label_smooth_eps / self.num_classes
        acc = (cls_scores.detach().argmax(-1) == labels).float().mean()
        return dict(loss_cls=self.loss_cls(cls_scores, target), acc_cls=acc)
