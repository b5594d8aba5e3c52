"""Rendering of AdaTosk's soft masks over the frames (adatosk Fig. 3).

Rows, one column per temporal token slice (the first frame of each
tubelet): the original frames, the visible patches after the hard mask
(Fig. 3 row 3), then one row per soft mask given (row 4: class-semantic
``S_sem``, row 5: class-agnostic ``S_agn`` averaged over channels). A soft
mask value is drawn with a colormap on its visible patch (light mask = high
value = bright, heavy mask = low value = dark); hard-masked patches are
grey.
"""
from typing import Dict, Optional, Sequence

import numpy as np

from .figure_file import save_figure

HARD_MASK_GREY = 96


def _to_frames(clip: np.ndarray) -> np.ndarray:
    """``[C, T, H, W]`` or ``[T, H, W, C]`` array -> ``[T, H, W, 3]`` uint8."""
    clip = np.asarray(clip)
    if clip.ndim != 4:
        raise ValueError(f'clip must be 4-D, got shape {clip.shape}')
    if clip.shape[0] in (1, 3) and clip.shape[-1] not in (1, 3):
        clip = clip.transpose(1, 2, 3, 0)
    if clip.shape[-1] == 1:
        clip = np.repeat(clip, 3, -1)
    if clip.dtype != np.uint8:
        lo, hi = float(clip.min()), float(clip.max())
        clip = ((clip - lo) / max(hi - lo, 1e-12) * 255).astype(np.uint8)
    return clip


def _patch_map(values: np.ndarray, h: int, w: int, patch: Sequence[int],
               shape: Sequence[int]) -> np.ndarray:
    """``[h*w]`` per-patch values -> ``[H, W]`` pixel map."""
    grid = values.reshape(h, w)
    up = np.kron(grid, np.ones((patch[0], patch[1])))
    out = np.zeros(shape, dtype=up.dtype)
    out[:up.shape[0], :up.shape[1]] = up[:shape[0], :shape[1]]
    return out


def render_soft_masks(clip: np.ndarray,
                      grid: Sequence[int],
                      visible_idx: np.ndarray,
                      masks: Dict[str, np.ndarray],
                      patch_size: Sequence[int] = (16, 16),
                      tubelet_size: int = 2,
                      cmap: str = 'magma',
                      out_file: Optional[str] = None) -> np.ndarray:
    """Draw the frames, the hard mask and each soft mask (Fig. 3 rows 1,
    3-5).

    Args:
        clip: one clip, ``[C, T, H, W]`` or ``[T, H, W, C]`` (uint8 or float).
        grid: the token grid ``(T', H', W')``.
        visible_idx: ``[Nv]`` flat token indices visible to the encoder
            (``Nv = T' * n_s``, a tube mask).
        masks: name -> ``[T', n_s]`` soft mask values of the visible tokens
            (in ``visible_idx`` order); drawn row by row, each row scaled to
            its own min/max.
        patch_size: ``(ph, pw)`` pixels per token.
        tubelet_size: frames per token slice.
        cmap: matplotlib colormap for the soft mask values.
        out_file: if given, the image is also written there (PNG).

    Returns:
        The ``[rows * H, T' * W, 3]`` uint8 image.
    """
    from matplotlib import colormaps
    frames = _to_frames(clip)
    t_, h_, w_ = (int(g) for g in grid)
    visible_idx = np.asarray(visible_idx).reshape(-1)
    if visible_idx.size % t_:
        raise ValueError(f'{visible_idx.size} visible tokens do not split '
                         f'into {t_} temporal slices (needs a tube mask)')
    n_s = visible_idx.size // t_
    picked = frames[::tubelet_size][:t_]
    H, W = picked.shape[1:3]
    colour = colormaps[cmap]

    hard = np.ones((t_, h_ * w_), dtype=bool)  # True = masked
    slot = np.full((t_, h_ * w_), -1)
    for k, idx in enumerate(visible_idx):
        t, s = divmod(int(idx), h_ * w_)
        hard[t, s] = False
        slot[t, s] = k % n_s
    rows = [np.concatenate(list(picked), 1)]
    grey_row = []
    for t in range(t_):
        m = _patch_map(hard[t].astype(float), h_, w_, patch_size, (H, W))
        img = picked[t].copy()
        img[m > 0.5] = HARD_MASK_GREY
        grey_row.append(img)
    rows.append(np.concatenate(grey_row, 1))
    for name, values in masks.items():
        values = np.asarray(values, dtype=np.float64).reshape(t_, n_s)
        lo, hi = values.min(), values.max()
        norm = (values - lo) / max(hi - lo, 1e-12)
        row = []
        for t in range(t_):
            per_patch = np.where(slot[t] >= 0, norm[t][slot[t]], np.nan)
            m = _patch_map(per_patch, h_, w_, patch_size, (H, W))
            rgb = (colour(np.nan_to_num(m))[..., :3] * 255).astype(np.uint8)
            img = (0.35 * picked[t] + 0.65 * rgb).astype(np.uint8)
            img[np.isnan(m)] = HARD_MASK_GREY
            row.append(img)
        rows.append(np.concatenate(row, 1))
    image = np.concatenate(rows, 0)
    if out_file is not None:
        _save(image, ['frames', 'hard mask', *masks], H, out_file)
    return image


def _save(image: np.ndarray, labels, row_h: int, out_file: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig_w = max(4.0, image.shape[1] / 80)
    fig, ax = plt.subplots(figsize=(fig_w, fig_w * image.shape[0] /
                                    image.shape[1] + 0.3))
    ax.imshow(image)
    ax.set_yticks([row_h * (i + 0.5) for i in range(len(labels))])
    ax.set_yticklabels(labels)
    ax.set_xticks([])
    save_figure(fig, out_file)


def soft_mask_samples(cfg, checkpoint: Optional[str] = None,
                      num_samples: int = 4, split: str = 'test',
                      seed: int = 0) -> list:
    """Build an AdaTosk ``cfg.model`` (optionally loading ``checkpoint``)
    and the dataset of ``cfg.<split>_dataloader``, and compute the soft
    masks of the first ``num_samples`` items under the model's
    ``eval_masker``.

    Returns one dict per item: ``frames`` (uint8 ``[T, H, W, C]``),
    ``grid``, ``visible_idx`` ``[Nv]`` and ``masks`` (name -> ``[n_t,
    n_s]``), ready for :func:`render_soft_masks`.
    """
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint

    from dfertools.registry import DATASETS, MODELS
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'dfertools')):
        model = MODELS.build(cfg.model)
        if not hasattr(model, 'soft_mask_maps'):
            raise TypeError(f'{type(model).__name__} has no soft masks; '
                            'pass an AdaTosk (SupervisedMAE) config such as '
                            'configs/adatosk/vit-b_dfew-fold1.py')
        if checkpoint:
            load_checkpoint(model, checkpoint, map_location='cpu')
        dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    model.eval()
    items = [dataset[i] for i in range(min(num_samples, len(dataset)))]
    data = model.data_preprocessor(pseudo_collate(items), False)
    maps = model.soft_mask_maps(data['inputs'])
    grid = maps['grid']
    names = dict(class_semantic='CS soft mask', class_agnostic='CA soft mask')
    out = []
    for i, item in enumerate(items):
        clip = item['inputs']
        clip = clip[0] if clip.dim() == 5 else clip  # [C, T, H, W]
        vis = maps['visible_idx']
        vis = (torch.arange(int(np.prod(grid))) if vis is None else vis[i])
        out.append(dict(
            frames=clip.permute(1, 2, 3, 0).to(torch.uint8).numpy(),
            grid=grid, visible_idx=vis.cpu().numpy(),
            masks={label: maps[key][i].float().cpu().numpy()
                   for key, label in names.items() if key in maps}))
    return out
