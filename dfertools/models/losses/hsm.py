"""Hard Sample Mining (hi2m §3.2, eq. 2-4).

``mu``, ``sigma``: mean and population std of the per-sample reconstruction
losses ``L_R^i`` over the batch (eq. 2); ``w_i = softplus((L_R^i - mu) /
(sigma + 1e-6))`` (eq. 3; the ``1e-6`` is our guard, so equal losses or a
batch of one give ``w = ln 2`` instead of NaN); ``L_HSM = sum_i w_i L_R^i``
(eq. 4). The weights are detached: they rescale each sample's gradient but
are not themselves optimised.

``global_stats=True`` takes ``mu`` and ``sigma`` over the global batch (all
ranks, via ``all_reduce``) when ``torch.distributed`` is initialised; the sum
in eq. 4 stays over the local batch (DDP averages the gradients).
"""
from typing import Tuple

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from dfertools.registry import MODELS


def _all_reduce_sum(x: torch.Tensor) -> torch.Tensor:
    if dist.is_available() and dist.is_initialized() and \
            dist.get_world_size() > 1:
        x = x.clone()
        dist.all_reduce(x, op=dist.ReduceOp.SUM)
    return x


def batch_stats(losses: torch.Tensor, global_stats: bool = False
                ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Mean and population std of ``losses`` [B] (hi2m eq. 2), over all
    ranks if ``global_stats`` (two-pass: sum and count, then the squared
    deviations, so unequal local batch sizes are fine)."""
    losses = losses.detach().float()
    if not global_stats:
        return losses.mean(), losses.std(unbiased=False)
    total = _all_reduce_sum(torch.stack(
        [losses.sum(), losses.new_tensor(float(losses.numel()))]))
    mu = total[0] / total[1]
    var = _all_reduce_sum((losses - mu).pow(2).sum()) / total[1]
    return mu, var.sqrt()


@MODELS.register_module()
class HardSampleMining(nn.Module):
    """Re-weight per-sample reconstruction losses by their hardness.

    Paper: HI2M, "HI2M: Hard Inter- and Intra-sample Masking for Dynamic Facial
    Expression Recognition", eq. 2-4 (docs/papers.md).

    Args:
        global_stats (bool): ``mu``/``sigma`` over all ranks.
        eps (float): added to ``sigma``.
        reduction (str): ``'sum'`` (hi2m eq. 4) or ``'mean'`` (the weighted
            sum divided by the local batch size).
    """

    def __init__(self, global_stats: bool = False, eps: float = 1e-6,
                 reduction: str = 'sum'):
        super().__init__()
        if reduction not in ('sum', 'mean'):
            raise ValueError(f"reduction must be 'sum' or 'mean', got "
                             f'{reduction!r}')
        self.global_stats = global_stats
        self.eps = float(eps)
        self.reduction = reduction

    def weights(self, losses: torch.Tensor) -> torch.Tensor:
        """Detached ``w_i`` (hi2m eq. 3) for per-sample losses ``[B]``."""
        mu, sigma = batch_stats(losses, self.global_stats)
        return F.softplus((losses.detach().float() - mu) / (sigma + self.eps))

    def forward(self, losses: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Returns ``(L_HSM, w)`` for per-sample losses ``[B]``."""
        if losses.dim() != 1:
            raise ValueError('HardSampleMining expects per-sample losses '
                             f'[B], got shape {tuple(losses.shape)}')
        w = self.weights(losses)
        loss = (w * losses).sum()
        if self.reduction == 'mean':
            loss = loss / losses.numel()
        return loss, w
