"""Linear probe on frozen features: how much of the label a backbone's
features hold linearly.

The backbone of a fine-tuning config (its ``model.backbone``, loaded from a
checkpoint or left at its random initialisation) encodes every view of the
config's test pipeline; a view's feature is the mean of its output tokens.
A multinomial logistic regression (L-BFGS, L2 penalty, class-balanced
cross-entropy) is fitted on the training split's view features, its weight
decay chosen on a held-out fifth of the training *videos*, then refitted on
all of them. Test videos are scored like ``DFERMetric`` scores a model:
softmax per view, averaged per video, then UAR / WAR.

This is the cheap protocol (features extracted once, a convex fit in
seconds) rather than training a linear head with SGD through the
Runner for many epochs (``configs/hi2m/*linear-probe*``); both measure the
same thing, the first in seconds.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

DEFAULT_WEIGHT_DECAYS = (1e-4, 1e-3, 1e-2, 1e-1)


@torch.no_grad()
def extract_features(model, dataloader) -> Tuple[torch.Tensor, List[dict]]:
    """``model.backbone`` features of every view in ``dataloader``.

    Returns ``(features [num_views, D], meta)`` with one ``dict(video_id,
    view_id, label)`` per row."""
    model.eval()
    feats, meta = [], []
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        inputs = data['inputs']
        x = inputs.reshape((-1, ) + inputs.shape[2:]) if inputs.dim() == 6 \
            else inputs
        out = model.backbone(x)
        if isinstance(out, (tuple, list)):
            out = out[-1]
        if out.dim() == 3:      # tokens [B, N, D]
            out = out.mean(1)
        elif out.dim() > 2:     # feature maps [B, D, ...]
            out = out.flatten(2).mean(-1)
        views = out.shape[0] // len(data['data_samples'])
        for i, ds in enumerate(data['data_samples']):
            for v in range(views):
                meta.append(dict(
                    video_id=ds.metainfo.get('video_id', i),
                    view_id=int(ds.metainfo.get('view_id', 0)) * views + v,
                    label=int(ds.gt_label.item())))
        feats.append(out.float().reshape(-1, out.shape[-1]))
    return torch.cat(feats), meta


def class_balanced_weights(labels: np.ndarray, num_classes: int
                           ) -> torch.Tensor:
    """``1 / count`` per class, normalised to mean 1 over present classes
    (each class contributes equally, which is what UAR rewards)."""
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    w = np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)
    w = w / w[counts > 0].mean()
    return torch.tensor(w, dtype=torch.float32)


def fit_logistic(x: torch.Tensor, y: torch.Tensor, num_classes: int,
                 weight_decay: float, max_iter: int = 500
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Multinomial logistic regression by L-BFGS: minimises the
    class-balanced mean cross-entropy + ``weight_decay * ||W||^2``."""
    w_cls = class_balanced_weights(y.numpy(), num_classes)
    W = torch.zeros(x.shape[1], num_classes, requires_grad=True)
    b = torch.zeros(num_classes, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], max_iter=max_iter,
                            line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(x @ W + b, y, weight=w_cls) \
            + weight_decay * W.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return W.detach(), b.detach()


def view_records(x: torch.Tensor, meta: Sequence[dict], W: torch.Tensor,
                 b: torch.Tensor) -> List[dict]:
    """Per-view prediction records (the dump format of
    :mod:`dfertools.evaluation.predictions`)."""
    probs = torch.softmax(x @ W + b, dim=-1).numpy()
    return [dict(m, probs=p.tolist()) for m, p in zip(meta, probs)]


def _video_split(meta: Sequence[dict], fraction: float, seed: int
                 ) -> np.ndarray:
    """Boolean mask of the rows whose video falls in the held-out part."""
    videos = sorted({str(m['video_id']) for m in meta})
    rng = np.random.default_rng(seed)
    held = set(rng.permutation(videos)[:max(1, int(len(videos) * fraction))])
    return np.array([str(m['video_id']) in held for m in meta])


def standardise(train: torch.Tensor, *others: torch.Tensor):
    """Z-score every feature with the training rows' statistics."""
    mean, std = train.mean(0), train.std(0) + 1e-6
    return [(t - mean) / std for t in (train, ) + others]


def linear_probe(train_x: torch.Tensor, train_meta: Sequence[dict],
                 test_x: torch.Tensor, test_meta: Sequence[dict],
                 num_classes: int,
                 weight_decays: Sequence[float] = DEFAULT_WEIGHT_DECAYS,
                 val_fraction: float = 0.2, seed: int = 0) -> Dict:
    """Fit on the training features, choose the weight decay by held-out
    UAR, refit on all training features and score the test views.

    Returns ``dict(records, weight_decay, val_uar)``."""
    from .functional import confusion_matrix, uar
    from .predictions import merge_views
    train_x, test_x = standardise(train_x, test_x)
    y = torch.tensor([m['label'] for m in train_meta])
    held = _video_split(train_meta, val_fraction, seed)
    fit_rows = torch.from_numpy(~held)
    val_rows = torch.from_numpy(held)
    val_meta = [m for m, h in zip(train_meta, held) if h]
    scores = {}
    for wd in weight_decays:
        W, b = fit_logistic(train_x[fit_rows], y[fit_rows], num_classes, wd)
        _, probs, labels = merge_views(
            view_records(train_x[val_rows], val_meta, W, b))
        scores[wd] = uar(confusion_matrix(labels, probs.argmax(1),
                                          num_classes))
    best = max(weight_decays, key=lambda wd: (scores[wd], -wd))
    W, b = fit_logistic(train_x, y, num_classes, best)
    return dict(records=view_records(test_x, test_meta, W, b),
                weight_decay=best, val_uar=scores)


def probe_config(cfg, checkpoint: Optional[str], seed: int = 0) -> Dict:
    """Build ``cfg.model`` (weights from ``checkpoint``, or its seeded random
    initialisation when ``None``), extract features of the training split
    with the test pipeline and of the test split, and run
    :func:`linear_probe`. Returns its dict plus ``num_classes`` and
    ``class_names``."""
    import copy

    from mmengine.logging import MMLogger
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint

    from dfertools.engine.runner import DFERRunner as Runner
    from dfertools.registry import MODELS
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'dfertools')):
        model = MODELS.build(cfg.model)
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel('WARNING')   # init_weights lists every parameter
        try:
            model.init_weights()
        finally:
            logger.setLevel(level)
        if checkpoint:
            load_checkpoint(model, checkpoint, map_location='cpu',
                            strict=False, logger='silent')
        test_loader_cfg = copy.deepcopy(cfg.test_dataloader)
        train_loader_cfg = copy.deepcopy(cfg.test_dataloader)
        train_ds = copy.deepcopy(cfg.train_dataloader.dataset)
        train_ds['pipeline'] = test_loader_cfg.dataset.pipeline
        train_ds['test_mode'] = True
        train_ds['num_views'] = test_loader_cfg.dataset.get('num_views', 1)
        train_loader_cfg['dataset'] = train_ds
        train_x, train_meta = extract_features(
            model, Runner.build_dataloader(train_loader_cfg, seed=seed))
        test_loader = Runner.build_dataloader(test_loader_cfg, seed=seed)
        test_x, test_meta = extract_features(model, test_loader)
    head = cfg.model.get('cls_head', {})
    num_classes = int(head.get('num_classes',
                               max(m['label'] for m in train_meta) + 1))
    out = linear_probe(train_x, train_meta, test_x, test_meta, num_classes,
                       seed=seed)
    names = getattr(test_loader.dataset, 'metainfo', {}).get('classes')
    out.update(num_classes=num_classes,
               class_names=list(names) if names else None)
    return out
