"""PNG grids for masked-video pretraining: input frames, the mask (and the
HRD policy's P as a heat map), and reconstructed appearance / motion.

Inputs come from :meth:`MaskedVideoPretrainer.predict`: ``pred_video`` and
``target_video`` are in patch-normalised units (each tubelet's own mean/std
removed). Deliberate choice: they are mapped to pixels with the *dataset*
statistics (``z * std + mean``, the preprocessor's), never with the patch's
own mean/std, so the picture shows what the model predicts rather than
borrowing the ground truth's brightness and contrast. Prediction and target
go through the same mapping, so they are directly comparable.
"""
from typing import Optional, Sequence

import numpy as np
import torch

from .figure_file import save_figure

DATASET_MEAN = (123.675, 116.28, 103.53)
DATASET_STD = (58.395, 57.12, 57.375)


def to_pixels(video: torch.Tensor, mean: Sequence[float] = DATASET_MEAN,
              std: Sequence[float] = DATASET_STD) -> np.ndarray:
    """``[C, T, H, W]`` normalised values -> ``[T, H, W, C]`` uint8 with
    ``x * std + mean`` per channel."""
    v = video.detach().float().cpu()
    m = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1, 1)
    pix = (v * s + m).clamp(0, 255).round().to(torch.uint8)
    return pix.permute(1, 2, 3, 0).numpy()


def expand_grid(grid_map: torch.Tensor, tubelet: Sequence[int]) -> np.ndarray:
    """``[T', H', W']`` token map -> ``[T', H'*ph, W'*pw]`` (one image per
    tubelet)."""
    _, ph, pw = tubelet
    m = grid_map.detach().float().cpu()
    return m.repeat_interleave(ph, 1).repeat_interleave(pw, 2).numpy()


def _figure(rows, cols):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.7 * rows),
                             squeeze=False)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes


def _save(fig, out_file: str) -> str:
    return save_figure(fig, out_file)


def plot_masks(frames: np.ndarray, mask: torch.Tensor, out_file: str,
               prob: Optional[torch.Tensor] = None,
               tubelet: Sequence[int] = (2, 16, 16)) -> str:
    """Rows: the first frame of every tubelet, that frame with the masked
    tubelets greyed out, and (for HRD) the policy's P as a heat map.

    Args:
        frames: ``[T, H, W, C]`` uint8 input clip.
        mask: ``[T', H', W']`` bool, True = masked.
        prob: ``[T', H', W']`` policy probabilities, optional.
    """
    pt = tubelet[0]
    keyframes = frames[::pt]
    m = expand_grid(mask, tubelet) > 0.5
    rows = 3 if prob is not None else 2
    fig, axes = _figure(rows, len(keyframes))
    p = expand_grid(prob, tubelet) if prob is not None else None
    for k, img in enumerate(keyframes):
        axes[0, k].imshow(img)
        axes[0, k].set_title(f't={k * pt}', fontsize=7)
        shown = img.copy()
        shown[m[k]] = (0.3 * shown[m[k]] + 0.7 * 128).astype(np.uint8)
        axes[1, k].imshow(shown)
        if p is not None:
            axes[2, k].imshow(img)
            axes[2, k].imshow(p[k], cmap='jet', alpha=0.5, vmin=0,
                              vmax=float(p.max()))
    axes[0, 0].set_ylabel('input', fontsize=7)
    axes[1, 0].set_ylabel('visible', fontsize=7)
    if p is not None:
        axes[2, 0].set_ylabel('P (HRD)', fontsize=7)
    return _save(fig, out_file)


def plot_reconstruction(frames: np.ndarray, mask: torch.Tensor,
                        pred_video: torch.Tensor, target_video: torch.Tensor,
                        out_file: str, motion_target: bool,
                        tubelet: Sequence[int] = (2, 16, 16),
                        mean: Sequence[float] = DATASET_MEAN,
                        std: Sequence[float] = DATASET_STD) -> str:
    """Rows: input, visible part, target and prediction of the appearance
    (and of the motion with ``motion_target``). Predictions exist only on
    masked tubelets; visible tubelets show the target in the prediction row
    so the frame is complete, with the masked ones outlined by the mask row.
    """
    pt = tubelet[0]
    m = torch.from_numpy(expand_grid(mask, tubelet) > 0.5)  # [T', H, W]
    full = torch.where(m.repeat_interleave(pt, 0)[None], pred_video,
                       target_video)
    pred_pix, tgt_pix = to_pixels(full, mean, std), to_pixels(
        target_video, mean, std)
    keyframes = frames[::pt]
    streams = [('appearance', 0)] + ([('motion', 1)] if motion_target else [])
    fig, axes = _figure(2 + 2 * len(streams), len(keyframes))
    for k, img in enumerate(keyframes):
        axes[0, k].imshow(img)
        shown = img.copy()
        mk = m[k].numpy()
        shown[mk] = (0.3 * shown[mk] + 0.7 * 128).astype(np.uint8)
        axes[1, k].imshow(shown)
        for s, (_, off) in enumerate(streams):
            axes[2 + 2 * s, k].imshow(tgt_pix[k * pt + off])
            axes[3 + 2 * s, k].imshow(pred_pix[k * pt + off])
    axes[0, 0].set_ylabel('input', fontsize=7)
    axes[1, 0].set_ylabel('visible', fontsize=7)
    for s, (name, _) in enumerate(streams):
        axes[2 + 2 * s, 0].set_ylabel(f'{name}\ntarget', fontsize=7)
        axes[3 + 2 * s, 0].set_ylabel(f'{name}\npredicted', fontsize=7)
    return _save(fig, out_file)


def plot_mean_probability(frames: Sequence[np.ndarray],
                          probs: Sequence[torch.Tensor], out_file: str,
                          tubelet: Sequence[int] = (2, 16, 16)) -> str:
    """Where a policy masker (HRD) looks, averaged over clips.

    Left: the mean input frame of the clips; middle: the masker's ``P``
    averaged over clips and time, one cell per token of the spatial grid,
    as a multiple of the uniform ``1 / N`` (so 1 = no preference, with a
    colour bar); right: the same map over the mean frame. ``P > 1`` marks
    the tokens the masker prefers to keep visible.

    Args:
        frames: ``[T, H, W, C]`` uint8 clips of one size.
        probs: ``[T', H', W']`` probabilities of each clip (sum 1).
    """
    mean_frame = np.mean([f.astype(np.float32).mean(0) for f in frames],
                         axis=0).astype(np.uint8)
    p = torch.stack([q.detach().float().cpu() for q in probs]).mean(0)
    rel = (p * p.numel()).mean(0)                         # [H', W']
    _, ph, pw = tubelet
    big = rel.repeat_interleave(ph, 0).repeat_interleave(pw, 1).numpy()
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    axes[0].imshow(mean_frame)
    axes[0].set_title(f'mean input frame ({len(frames)} clips)', fontsize=9)
    im = axes[1].imshow(rel.numpy(), cmap='viridis')
    axes[1].set_title('P x N, mean over clips and time', fontsize=9)
    fig.colorbar(im, ax=axes[1], fraction=0.046)
    axes[2].imshow(mean_frame)
    over = axes[2].imshow(big, cmap='jet', alpha=0.45)
    axes[2].set_title('overlay (1 = uniform)', fontsize=9)
    fig.colorbar(over, ax=axes[2], fraction=0.046)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return _save(fig, out_file)
