"""Hard Region Discovery policy loss (hi2m §3.3, eq. 7).

``L_HRD = - sum_j sum_{i in masked(j)} log P_ij * sg(L_R^{ij})``: a
REINFORCE-style objective whose reward is the per-token reconstruction loss
of the masked tokens, detached (``sg``) so no gradient of ``L_HRD`` reaches
the MAE; only the policy network that produced ``log P`` learns from it.
The sum runs over the local batch; the total objective is
``L = L_HSM + lambda * L_HRD`` (hi2m eq. 8) with ``lambda = loss_weight``
(1e-4; docs/design.md, 'HRD masker').
"""
import torch
from torch import nn

from dfertools.registry import MODELS


@MODELS.register_module()
class HRDPolicyLoss(nn.Module):
    """Policy-gradient loss of the HRD masker.

    Paper: HI2M, "HI2M: Hard Inter- and Intra-sample Masking for Dynamic Facial
    Expression Recognition", eq. 7-8 (docs/papers.md).

    Args:
        loss_weight (float): ``lambda`` of hi2m eq. 8.
    """

    def __init__(self, loss_weight: float = 1e-4):
        super().__init__()
        self.loss_weight = float(loss_weight)

    def forward(self, log_prob: torch.Tensor, masked_idx: torch.Tensor,
                per_token_loss: torch.Tensor) -> torch.Tensor:
        """
        Args:
            log_prob: ``[B, N]`` log P from the masker.
            masked_idx: ``[B, Nm]`` masked token indices.
            per_token_loss: ``[B, Nm]`` reconstruction loss of those tokens
                (detached here).

        Returns:
            ``lambda * L_HRD`` (a scalar).
        """
        if per_token_loss.shape != masked_idx.shape:
            raise ValueError(
                f'per_token_loss {tuple(per_token_loss.shape)} must match '
                f'masked_idx {tuple(masked_idx.shape)}')
        logp_masked = torch.gather(log_prob, 1, masked_idx)
        reward = per_token_loss.detach().to(logp_masked.dtype)
        return -self.loss_weight * (logp_masked * reward).sum()
