"""DAM temporal attention branch (HDF §4.1.2, eq. 9-10).

Per frame t, descriptors pooled over space: A_avg^(t), A_max^(t) in R^C.

* global deviation (Wasserstein-inspired) W^(t) = ||A_avg^(t) - E_t'[A_avg]||_2
* local difference D^(t) = ||A_avg^(t) - A_avg^(t-1)||_2 along T (D^(1) = 0)
* eq. 9 gate: sigmoid(gamma (alpha Ã_avg + beta Ã_max) + delta W - D)
* self-attention over the T frames of that gate gives TA [B, T, C]
* eq. 10: x_t = x * sigmoid(TA) + x (broadcast over H x W).

Choices where the paper is silent: the descriptors keep the channel axis
(pooling over space only; the paper's L2 norms then measure a real vector
distance), norms are divided by sqrt(C) (RMS); Ã is the descriptor
standardised along T per channel (so the gate reads each channel's temporal
profile). Differences are taken along T only, so a change that is constant
over time does not move D.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..layers.attention import attention_core


class TemporalAttention(nn.Module):
    """Temporal branch of DAM (HDF eq. 9-10).

    Paper: HDF, "Learning from Heterogeneity: Generalizing Dynamic Facial
    Expression Recognition via Distributionally Robust Optimization", eq. 9-10
    (docs/papers.md).

    Args:
        channels (int): C of the input.
        reduction (int): width of the frame attention is max(C // r, 8).
        eps (float): stability constant of the standardisation.
    """

    def __init__(self, channels: int, reduction: int = 4,
                 eps: float = 1e-5) -> None:
        super().__init__()
        self.channels = channels
        self.eps = eps
        # eq. 9 learnable fusion weights
        self.alpha = nn.Parameter(torch.tensor(1.0))
        self.beta = nn.Parameter(torch.tensor(1.0))
        self.gamma = nn.Parameter(torch.tensor(1.0))
        self.delta = nn.Parameter(torch.tensor(1.0))
        dims = max(channels // reduction, 8)
        self.qkv = nn.Linear(channels, 3 * dims)
        self.proj = nn.Linear(dims, channels)

    @staticmethod
    def descriptors(x: torch.Tensor):
        """A_avg, A_max [B, T, C] from x [B, C, T, H, W]."""
        return (x.mean(dim=(3, 4)).transpose(1, 2),
                x.amax(dim=(3, 4)).transpose(1, 2))

    @staticmethod
    def global_deviation(a_avg: torch.Tensor) -> torch.Tensor:
        """W_global^(t) [B, T, 1] (RMS over channels)."""
        dev = a_avg - a_avg.mean(dim=1, keepdim=True)
        return dev.norm(dim=-1, keepdim=True) / math.sqrt(a_avg.shape[-1])

    @staticmethod
    def local_difference(a_avg: torch.Tensor) -> torch.Tensor:
        """D_local^(t) [B, T, 1], the step from frame t-1 to t; 0 at t = 0."""
        diff = a_avg[:, 1:] - a_avg[:, :-1]
        d = diff.norm(dim=-1, keepdim=True) / math.sqrt(a_avg.shape[-1])
        return F.pad(d, (0, 0, 1, 0))

    def _standardise(self, a: torch.Tensor) -> torch.Tensor:
        mean = a.mean(dim=1, keepdim=True)
        std = a.std(dim=1, keepdim=True, unbiased=False)
        return (a - mean) / (std + self.eps)

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        """HDF eq. 9 -> [B, T, C] in (0, 1)."""
        a_avg, a_max = self.descriptors(x)
        mix = self.gamma * (self.alpha * self._standardise(a_avg) +
                            self.beta * self._standardise(a_max))
        return torch.sigmoid(mix + self.delta * self.global_deviation(a_avg) -
                             self.local_difference(a_avg))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.gate(x)
        q, k, v = self.qkv(g).chunk(3, dim=-1)
        ta = self.proj(attention_core(
            q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1)).squeeze(1))
        ta = ta.transpose(1, 2)[..., None, None]  # [B, C, T, 1, 1]
        return x * torch.sigmoid(ta) + x          # eq. 10
