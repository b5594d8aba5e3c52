"""Run a pretraining config's model on a few clips of its training set for
the visualisation tools (``tools/analysis/visualize_masks.py`` and
``visualize_reconstruction.py``)."""
from typing import List, Optional, Tuple

import numpy as np
import torch


def pretrain_predictions(cfg, checkpoint: Optional[str] = None,
                         num_samples: int = 4, sample_masks: bool = False,
                         seed: int = 0) -> Tuple[list, List[np.ndarray]]:
    """Build ``cfg.model`` (optionally loading ``checkpoint``) and the
    dataset of ``cfg.train_dataloader``, and run ``predict`` on the first
    ``num_samples`` clips.

    Args:
        sample_masks: keep the model in train mode for the masker, so a
            policy masker samples its mask instead of taking its top tokens.

    Returns:
        ``(data_samples, frames)`` with ``frames[i]`` the uint8 input
        ``[T, H, W, C]`` of sample ``i``.
    """
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint

    from dfertools.registry import DATASETS, MODELS
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'dfertools')):
        model = MODELS.build(cfg.model)
        if checkpoint:
            load_checkpoint(model, checkpoint, map_location='cpu')
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    model.eval()
    model.masker.train(sample_masks)
    n = min(num_samples, len(dataset))
    items = [dataset[i] for i in range(n)]
    frames = []
    for item in items:
        clip = item['inputs']
        clip = clip[0] if clip.dim() == 5 else clip  # [C, T, H, W]
        frames.append(clip.permute(1, 2, 3, 0).to(torch.uint8).numpy())
    data = model.data_preprocessor(pseudo_collate(items), False)
    with torch.no_grad():
        samples = model(**data, mode='predict')
    return samples, frames


def preprocessor_stats(model_cfg) -> Tuple[tuple, tuple]:
    """Mean and std of the config's data preprocessor (ImageNet's if it
    has none)."""
    from .pretrain_plots import DATASET_MEAN, DATASET_STD
    dp = model_cfg.get('data_preprocessor') or {}
    return (tuple(dp.get('mean', DATASET_MEAN)),
            tuple(dp.get('std', DATASET_STD)))


def sample_tubelet(sample) -> Tuple[int, int, int]:
    """The tubelet ``(pt, ph, pw)`` of a ``predict`` sample, read off its
    shapes (``pred_video`` ``[C, T, H, W]`` over ``mask`` ``[T', H', W']``),
    so the figures follow the built model's geometry, not a config key."""
    t, h, w = sample.pred_video.shape[1:]
    gt, gh, gw = sample.mask.shape
    return (t // gt, h // gh, w // gw)
