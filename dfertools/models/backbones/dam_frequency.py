"""DAM frequency attention branch (HDF §4.1.1, eq. 6-8).

x [B, C, T, H, W] -> orthonormal 2-D DCT per (channel, frame) (eq. 2, the
analytic basis of :class:`DCT2D`) -> adversarial perturbation, training only
(eq. 6) -> dynamic tanh (eq. 7) -> self-attention -> gate (eq. 8):
``x_s = x * sigmoid(f_att) + x``.

Choices where the paper is silent (docs/design.md, 'DAM'):

* eq. 6 deviation ``||f - E[f]||_2`` is taken per sample against the
  mini-batch mean and divided by sqrt(#elements) (an RMS), so its size does
  not grow with the stage's resolution; the sign and the deviation are
  constants (detached) — they shape the noise, the learnable alpha and beta
  scale it. Inactive in eval mode.
* eq. 7 statistics are per sample and per channel over (T, H, W)
  ("channel-wise feature statistics"); gamma and beta are per-channel.
* "processed by self-attention": attention among the channels of each frame,
  each channel represented by its k x k lowest DCT coefficients of f_dyn (a
  frequency channel descriptor in the spirit of FcaNet, the paper's ref. [32]).
  Attention over all T*H*W positions would be quadratic in the early stages'
  resolution. The output is one logit per (channel, frame), broadcast over
  H x W in eq. 8.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..layers.attention import attention_core

from .dct import DCT2D


class FrequencyAttention(nn.Module):
    """Frequency branch of DAM (HDF eq. 6-8).

    Paper: HDF, "Learning from Heterogeneity: Generalizing Dynamic Facial
    Expression Recognition via Distributionally Robust Optimization", eq. 2,
    6-8 (docs/papers.md).

    Args:
        channels (int): C of the input.
        freq_size (int): k, the k x k lowest DCT coefficients describing a
            channel in the attention. Defaults to 4.
        attn_dims (int): width of the query/key/value projections.
        epsilon (float): the fixed scale epsilon of the sign perturbation in
            eq. 6. Defaults to 0.01.
        perturb (bool): apply eq. 6 in training. Defaults to True.
        var_eps (float): the stability constant of eq. 7.
    """

    def __init__(self,
                 channels: int,
                 freq_size: int = 4,
                 attn_dims: int = 32,
                 epsilon: float = 0.01,
                 perturb: bool = True,
                 var_eps: float = 1e-5) -> None:
        super().__init__()
        self.channels = channels
        self.freq_size = freq_size
        self.epsilon = epsilon
        self.perturb = perturb
        self.var_eps = var_eps
        self.dct = DCT2D()
        # eq. 6: learnable alpha (sign noise) and beta (Wasserstein shift)
        self.adv_alpha = nn.Parameter(torch.tensor(1.0))
        self.adv_beta = nn.Parameter(torch.tensor(0.1))
        # eq. 7: learnable alpha and per-channel affine gamma, beta
        self.dyn_alpha = nn.Parameter(torch.tensor(1.0))
        self.dyn_gamma = nn.Parameter(torch.ones(channels))
        self.dyn_beta = nn.Parameter(torch.zeros(channels))
        self.attn_dims = attn_dims
        self.qkv = nn.Linear(freq_size * freq_size, 3 * attn_dims)
        self.proj = nn.Linear(attn_dims, 1)

    def adversarial(self, f: torch.Tensor) -> torch.Tensor:
        """HDF eq. 6; identity in eval mode."""
        if not (self.training and self.perturb):
            return f
        sign = torch.sign(f).detach()
        dev = (f - f.mean(dim=0, keepdim=True)).detach().flatten(1)
        dev = dev.norm(dim=1) / math.sqrt(dev.shape[1])
        dev = dev.view(-1, *([1] * (f.dim() - 1)))
        return (f + self.adv_alpha * self.epsilon * sign +
                self.adv_beta * sign * dev)

    def dynamic_tanh(self, f: torch.Tensor) -> torch.Tensor:
        """HDF eq. 7: ``tanh(alpha / sqrt(Var + eps) * f) * gamma + beta``."""
        var = f.var(dim=(2, 3, 4), keepdim=True, unbiased=False)
        scaled = self.dyn_alpha * f * torch.rsqrt(var + self.var_eps)
        shape = (1, self.channels, 1, 1, 1)
        return (torch.tanh(scaled) * self.dyn_gamma.view(shape) +
                self.dyn_beta.view(shape))

    def attention_logits(self, f_dyn: torch.Tensor) -> torch.Tensor:
        """Self-attention among channels -> f_att [B, C, T, 1, 1]."""
        b, c, t, h, w = f_dyn.shape
        k = self.freq_size
        low = f_dyn[..., :min(k, h), :min(k, w)]
        if low.shape[-2:] != (k, k):  # stage smaller than k x k: zero-pad
            low = F.pad(low, (0, k - low.shape[-1], 0, k - low.shape[-2]))
        tokens = low.permute(0, 2, 1, 3, 4).reshape(b * t, c, k * k)
        q, key, v = self.qkv(tokens).chunk(3, dim=-1)
        out = attention_core(
            q.unsqueeze(1), key.unsqueeze(1), v.unsqueeze(1)).squeeze(1)
        logits = self.proj(out).view(b, t, c)
        return logits.transpose(1, 2).reshape(b, c, t, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.dct(x)                       # eq. 2
        f = self.adversarial(f)               # eq. 6
        f = self.dynamic_tanh(f)              # eq. 7
        f_att = self.attention_logits(f)
        return x * torch.sigmoid(f_att) + x   # eq. 8
