"""Masked reconstruction loss with patch-normalised targets.

Targets (docs/design.md, 'Reconstruction targets'): the un-normalised clip is
cut into ``pt x ph x pw``
tubelets (2x16x16); each tubelet is normalised per channel by its own mean
and unbiased std (+1e-6) over its ``pt*ph*pw`` pixels (VideoMAE's
``norm_pix_loss``).

* ``motion_target=False`` (VideoMAE): the target is the whole normalised
  tubelet, and the per-token loss the mean squared error over its values.
* ``motion_target=True`` (mae_dfer eq. 2, hi2m eq. 1): appearance
  ``y_a`` = the normalised first frame of the tubelet (``V[0:T:2]``), motion
  ``y_m`` = normalised second frame minus normalised first frame
  (``V[1:T:2] - V[0:T:2]``). Deliberate choice: both use the statistics of
  the whole tubelet, so the motion target is ``(x1 - x0) / (std + eps)``.
  The prediction's first ``ph*pw*C`` values are the appearance, the rest the
  motion; per token
  ``lambda_a * mean((y_a_hat - y_a)^2) + lambda_m * mean((y_m_hat - y_m)^2)``
  with ``lambda_a = lambda_m = 0.5`` (mae_dfer eq. 2 with lambda = 0.5).

Per sample: the mean over that sample's masked tokens (hi2m eq. 1's
``1/(N - N_v)`` normalisation). The loss returns per-token and per-sample
values so HSM (hi2m eq. 2-4) and HRD (hi2m eq. 7) can use them.
"""
from typing import Dict, Sequence

import torch
from torch import nn

from dfertools.registry import MODELS
from .tubelets import patchify


def normalised_tubelets(patches: torch.Tensor,
                        eps: float = 1e-6) -> torch.Tensor:
    """Normalise ``[..., pt, ph*pw, C]`` tubelets per channel by their own
    mean and unbiased std over the ``pt*ph*pw`` pixels."""
    flat = patches.flatten(-3, -2)  # [..., pt*ph*pw, C]
    mean = flat.mean(dim=-2, keepdim=True)
    std = flat.var(dim=-2, unbiased=True, keepdim=True).sqrt()
    return ((flat - mean) / (std + eps)).view_as(patches)


@MODELS.register_module()
class MaskedReconstructionLoss(nn.Module):
    """MSE on masked tokens against patch-normalised tubelet targets.

    Paper: MAE-DFER, "MAE-DFER: Efficient Masked Autoencoder for
    Self-supervised Dynamic Facial Expression Recognition", eq. 2; HI2M, "HI2M:
    Hard Inter- and Intra-sample Masking for Dynamic Facial Expression
    Recognition", eq. 1 (docs/papers.md).

    Args:
        tubelet_size (tuple[int]): ``(pt, ph, pw)``, the backbone's tubelet.
        motion_target (bool): appearance + motion targets (MAE-DFER, HI2M)
            instead of the whole tubelet (VideoMAE). Needs ``pt == 2``.
        appearance_weight (float): ``lambda_a``.
        motion_weight (float): ``lambda_m``.
        input_scale (float): raw pixel values are divided by this before the
            statistics are taken (VideoMAE normalises ``[0, 1]`` pixels).
        eps (float): added to the std.
    """

    def __init__(self, tubelet_size: Sequence[int] = (2, 16, 16),
                 motion_target: bool = False,
                 appearance_weight: float = 0.5, motion_weight: float = 0.5,
                 input_scale: float = 255.0, eps: float = 1e-6):
        super().__init__()
        self.tubelet_size = tuple(int(s) for s in tubelet_size)
        if motion_target and self.tubelet_size[0] != 2:
            raise ValueError('motion_target needs a temporal tubelet size of '
                             f'2 (frame pairs), got {self.tubelet_size}')
        self.motion_target = motion_target
        self.appearance_weight = float(appearance_weight)
        self.motion_weight = float(motion_weight)
        self.input_scale = float(input_scale)
        self.eps = float(eps)

    def targets(self, clip: torch.Tensor) -> torch.Tensor:
        """Targets of every token: ``[B, C, T, H, W]`` raw clip ->
        ``[B, N, pt*ph*pw*C]`` in the decoder head's layout."""
        return self._targets(patchify(clip.float(), self.tubelet_size))

    def _targets(self, patches: torch.Tensor) -> torch.Tensor:
        z = normalised_tubelets(patches / self.input_scale, self.eps)
        if self.motion_target:
            first, second = z[..., 0, :, :], z[..., 1, :, :]
            z = torch.stack([first, second - first], dim=-3)
        return z.flatten(-3)

    def forward(self, pred: torch.Tensor, clip: torch.Tensor,
                masked_idx: torch.Tensor) -> Dict[str, torch.Tensor]:
        """
        Args:
            pred: ``[B, Nm, pt*ph*pw*C]`` decoder output for masked tokens.
            clip: ``[B, C, T, H, W]`` un-normalised clip (raw pixel units).
            masked_idx: ``[B, Nm]`` token indices of ``pred``'s rows.

        Returns:
            dict with ``per_token`` ``[B, Nm]``, ``per_sample`` ``[B]`` and
            ``loss`` (mean of ``per_sample``). With no masked token
            (``Nm = 0``) the loss is 0, not NaN.
        """
        if masked_idx.shape[1] == 0:
            # no masked token (mask ratio 0, e.g. AdaTosk's classifier
            # alone): nothing to reconstruct; a zero loss that keeps the
            # graph instead of the NaN of an empty mean
            per_token = pred.float().sum(-1)  # [B, 0]
            per_sample = per_token.sum(-1)
            return dict(per_token=per_token, per_sample=per_sample,
                        loss=per_sample.mean())
        patches = patchify(clip.float(), self.tubelet_size)
        b, n = patches.shape[:2]
        idx = masked_idx.view(b, -1, 1, 1, 1).expand(
            -1, -1, *patches.shape[2:])
        target = self._targets(torch.gather(patches, 1, idx))
        if pred.shape != target.shape:
            raise ValueError(
                f'prediction {tuple(pred.shape)} does not match the target '
                f'{tuple(target.shape)}; the decoder out_channels must be '
                'pt*ph*pw*C of the tubelet')
        err = (pred.float() - target).pow(2)
        if self.motion_target:
            half = err.shape[-1] // 2
            per_token = (self.appearance_weight * err[..., :half].mean(-1) +
                         self.motion_weight * err[..., half:].mean(-1))
        else:
            per_token = err.mean(-1)
        per_sample = per_token.mean(-1)
        return dict(per_token=per_token, per_sample=per_sample,
                    loss=per_sample.mean())
