"""Information-bottleneck, distributionally robust SupCon loss (HDF eq. 13-15).

Choices (docs/design.md, 'IB-DRO SupCon loss'), all switchable:

* z is L2-normalised; ``s_ij = z_i . z_j / tau`` (tau = 0.07).
* Negatives are weighted in the denominator by the Gaussian
  ``w_ij = exp(-(c_ij - eta)^2 / (2 eta^2))`` (eta = 0.2) of the *cosine*
  ``c_ij = z_i . z_j`` — the paper writes it on s_ij, where with tau = 0.07
  every weight underflows to ~0. Positives keep weight 1. The weights are
  importance weights and are detached by default (``detach_weights``).
* Anchors without positives are skipped; the contrastive term is the mean of
  eq. 13 over the anchors that have at least one positive (0 if none).
* ``+ beta * Tr(Cov(Z))`` (eq. 14-15, beta = 0.1) with the biased (1/N)
  covariance of the normalised z, a penalty (it is minimised).

With ``eta=None`` every weight is 1 and with ``beta=0`` the loss is the
supervised contrastive loss of Khosla et al. (eq. 5, averaged over anchors).
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from dfertools.registry import MODELS


def gaussian_negative_weights(cos: torch.Tensor, eta: float) -> torch.Tensor:
    """``exp(-(c - eta)^2 / (2 eta^2))`` (HDF §4.2.1, on the cosine)."""
    return torch.exp(-(cos - eta)**2 / (2 * eta * eta))


def covariance_trace(z: torch.Tensor) -> torch.Tensor:
    """Tr(Cov(Z)) with Cov = 1/N sum (z_i - z̄)(z_i - z̄)^T (HDF eq. 14)."""
    return (z - z.mean(dim=0, keepdim=True)).pow(2).sum(dim=1).mean()


@MODELS.register_module()
class IBDROSupConLoss(nn.Module):
    """L_IB-D-SC (HDF eq. 13-15).

    Paper: HDF, "Learning from Heterogeneity: Generalizing Dynamic Facial
    Expression Recognition via Distributionally Robust Optimization", eq. 13-15
    (docs/papers.md).

    Args:
        temperature (float): tau. Defaults to 0.07.
        eta (float | None): centre/width of the negative weights; ``None``
            disables the reweighting (all weights 1). Defaults to 0.2.
        beta (float): weight of Tr(Cov(Z)). Defaults to 0.1.
        detach_weights (bool): stop gradients through w_ij. Defaults to True.
        loss_weight (float): multiplies the whole loss. Defaults to 1.
    """

    def __init__(self,
                 temperature: float = 0.07,
                 eta: Optional[float] = 0.2,
                 beta: float = 0.1,
                 detach_weights: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if eta is not None and eta <= 0:
            raise ValueError(f'eta must be > 0 or None, got {eta}')
        self.temperature = temperature
        self.eta = eta
        self.beta = beta
        self.detach_weights = detach_weights
        self.loss_weight = loss_weight

    def contrastive(self, z: torch.Tensor,
                    labels: torch.Tensor) -> torch.Tensor:
        """Mean over anchors with positives of eq. 13 (z normalised)."""
        n = z.shape[0]
        cos = z @ z.t()
        sim = cos / self.temperature
        eye = torch.eye(n, dtype=torch.bool, device=z.device)
        same = labels.view(-1, 1) == labels.view(1, -1)
        pos = same & ~eye
        neg = ~same
        if self.eta is None:
            log_weight = torch.zeros_like(cos)
        else:  # log of gaussian_negative_weights, exact for tiny weights
            c = cos.detach() if self.detach_weights else cos
            log_weight = torch.where(
                neg, -(c - self.eta)**2 / (2 * self.eta * self.eta),
                torch.zeros_like(cos))
        # log sum_{a != i} w_ia exp(s_ia) = logsumexp(s + log w), self excluded
        # (a finite -1e9 keeps a batch of one free of inf * 0)
        log_terms = (sim + log_weight).masked_fill(eye, -1e9)
        log_denom = torch.logsumexp(log_terms, dim=1, keepdim=True)
        log_prob = sim - log_denom
        n_pos = pos.sum(dim=1)
        per_anchor = (-torch.where(pos, log_prob, 0.0).sum(dim=1) /
                      n_pos.clamp_min(1))
        has_pos = (n_pos > 0).to(z.dtype)
        return (per_anchor * has_pos).sum() / has_pos.sum().clamp_min(1.0)

    def forward(self, feats: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        if feats.dim() != 2 or labels.shape[0] != feats.shape[0]:
            raise ValueError(
                'IBDROSupConLoss expects feats [N, D] and labels [N], got '
                f'{tuple(feats.shape)} and {tuple(labels.shape)}')
        z = F.normalize(feats.float(), dim=1)
        loss = self.contrastive(z, labels.view(-1))
        if self.beta:
            loss = loss + self.beta * covariance_trace(z)
        return self.loss_weight * loss
