"""Inference from Python: a video file (or frame folder) -> class
probabilities, with the config's test pipeline and all its test views.

    model = init_recognizer('configs/videomae/vit-b_dfew-fold1.py', 'ckpt.pth')
    result = inference_recognizer(model, 'clip.mp4')
    result['probs']        # [num_classes], mean of the per-view softmax

Each view is one pipeline run with ``view_id`` set (the dataset contract of
docs/developer_guide.md); the per-view probabilities (``average_clips=
'prob'``) are averaged, as ``DFERMetric`` does.
"""
import os.path as osp
from typing import Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import print_log
from mmengine.registry import init_default_scope

from dfertools.models.utils.checkpoint_convert import (convert_state_dict,
                                                       read_state_dict)
from dfertools.registry import MODELS
from .pipeline_parts import (class_names, config_test_dataset,
                             config_test_pipeline, with_face_crop)


def init_recognizer(config: Union[str, Config],
                    checkpoint: Optional[str] = None,
                    device: str = 'cpu') -> torch.nn.Module:
    """Build ``config``'s model, load ``checkpoint`` (dfertools, official
    VideoMAE/MAE-DFER fine-tuned or mmaction2 layout; ``weights_only``),
    eval mode on ``device``. The config is kept as ``model.cfg``."""
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    init_default_scope(cfg.get('default_scope', 'dfertools'))
    model_cfg = dict(cfg.model)
    backbone = dict(model_cfg.get('backbone', {}))
    if backbone.get('pretrained'):
        backbone['pretrained'] = None  # the checkpoint below has everything
        model_cfg['backbone'] = backbone
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        conv = convert_state_dict(read_state_dict(checkpoint))
        state = conv.recognizer_state_dict()
        result = model.load_state_dict(state, strict=False)
        if result.missing_keys:
            raise KeyError(
                f'{checkpoint}: keys missing for this model: '
                f'{result.missing_keys[:8]} ({len(result.missing_keys)} in '
                'all); is it a fine-tuned checkpoint of this config?')
        if result.unexpected_keys:
            print_log(f'{checkpoint}: ignored unexpected keys '
                      f'{result.unexpected_keys[:8]}', logger='current',
                      level=30)
    model.cfg = cfg
    return model.to(device).eval()


def build_test_pipeline(cfg: Config, face_crop: Optional[dict] = None
                        ) -> Compose:
    """The config's test pipeline; with ``face_crop`` (``FaceCrop``
    arguments, ``{}`` for the defaults) a face crop follows the decode
    step."""
    init_default_scope(cfg.get('default_scope', 'dfertools'))
    pipeline = config_test_pipeline(cfg)
    if face_crop is not None:
        pipeline = with_face_crop(pipeline, face_crop)
    return Compose(pipeline)


def inference_recognizer(model: torch.nn.Module, video: str,
                         num_views: Optional[int] = None,
                         face_crop: Optional[dict] = None,
                         pipeline: Optional[Compose] = None) -> dict:
    """Run all test views of ``video`` (file or frame folder).

    ``face_crop``: crop the face first (``FaceCrop`` arguments; ``{}``:
    defaults). ``pipeline``: a :func:`build_test_pipeline` to reuse over
    many videos.

    Returns ``dict(probs [C], view_probs [V, C], pred_label, classes)``.
    """
    if not (osp.isfile(video) or osp.isdir(video)):
        raise FileNotFoundError(f'{video!r} is neither a video file nor a '
                                'folder of frames.')
    cfg = model.cfg
    if pipeline is None:
        pipeline = build_test_pipeline(cfg, face_crop)
    if num_views is None:
        num_views = int(config_test_dataset(cfg).get('num_views', 1))
    samples = []
    for view_id in range(num_views):
        results = dict(filename=video, video_id=video, view_id=view_id,
                       num_views=num_views, label=-1, start_index=0,
                       modality='RGB')
        samples.append(pipeline(results))
    with torch.no_grad():
        preds = model.test_step(pseudo_collate(samples))
    view_probs = torch.stack([p.pred_score.float().cpu() for p in preds])
    probs = view_probs.mean(0).numpy()
    return dict(probs=probs, view_probs=view_probs.numpy(),
                pred_label=int(np.argmax(probs)),
                classes=class_names(cfg, len(probs)))
