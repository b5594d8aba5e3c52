"""Expression probabilities over time: the model applied to windows that
slide along a video.

The video (file or frame folder) is decoded into memory (at the
pipeline's ``decode_size`` if it has one). With ``face_crop`` the face is
tracked over the *whole* video (one smoothed track, see
``dfertools.datasets.faces``; a first decoding pass detects, a second one
crops) and only the crops are kept.
A window covers ``span = (clip_len - 1) * frame_interval + 1`` frames —
the sampler of the config's test pipeline — and takes ``clip_len`` frames
``frame_interval`` apart; windows start every ``stride`` frames (default
``span // 2``) and the last one ends at the last frame. A video shorter
than a window gives one window whose indices repeat the last frame. Each
window runs through the pipeline's steps after its decode step (resize,
crop, format, pack) and the model, in batches.
"""
import csv
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope

from dfertools.datasets.faces.clip_io import clip_fps, iter_frames
from dfertools.datasets.faces.cropper import FaceCropper
from dfertools.utils.atomic_file import atomic_path
from .pipeline_parts import (class_names, config_test_pipeline,
                             decode_size, default_face_size,
                             sampling_params, split_at_decode)


def _decoded(video: str, size: Optional[Tuple[int, int]]):
    """Frames of ``video``, resized to ``size`` (w, h) like ``VideoInit
    (decode_size=...)`` does."""
    for f in iter_frames(video):
        if size and (f.shape[1], f.shape[0]) != tuple(size):
            f = cv2.resize(f, tuple(size), interpolation=cv2.INTER_AREA)
        yield f


def window_starts(num_frames: int, span: int, stride: int) -> List[int]:
    """Start frames of the windows (see the module doc)."""
    if num_frames <= span:
        return [0]
    starts = list(range(0, num_frames - span + 1, stride))
    if starts[-1] != num_frames - span:
        starts.append(num_frames - span)
    return starts


def sliding_window_inference(model: torch.nn.Module, video: str,
                             stride: Optional[int] = None,
                             face_crop: Optional[dict] = None,
                             fps: Optional[float] = None,
                             batch_size: int = 8) -> Dict:
    """Probabilities per window.

    Args:
        model: from :func:`~dfertools.apis.init_recognizer`.
        video: a video file or a frame folder.
        stride: frames between window starts (default half a window).
        face_crop: :class:`FaceCropper` arguments (``{}``: defaults) to
            crop the face first; ``None``: whole frames.
        fps: frame rate for the time axis (default: the file's, or 25 for
            a frame folder).

    Returns ``dict(classes, fps, starts, ends, centers_s, probs [W, C],
    frames [T] (the frames the model saw, cropped if face_crop),
    face_detected [T] or None)``.
    """
    cfg = model.cfg
    init_default_scope(cfg.get('default_scope', 'dfertools'))
    pipeline = config_test_pipeline(cfg)
    before, after = split_at_decode(pipeline)
    clip_len, interval = sampling_params(before)
    span = (clip_len - 1) * interval + 1
    stride = stride or max(1, span // 2)
    fps = fps or clip_fps(video) or 25.0
    size = decode_size(before)
    detected = None
    if face_crop is None:
        frames = list(_decoded(video, size))
    else:  # two passes, so that only the crops are held in memory
        args = dict(face_crop)
        args.setdefault('size', default_face_size(before))
        cropper = FaceCropper(**args)
        track = cropper.track_detections(
            cropper.detect_all(_decoded(video, size)), video)
        frames = [cropper.crop_frame(f, track, t) for t, f in
                  zip(range(len(track.sides)), _decoded(video, size))]
        detected = track.detected[:len(frames)]
    post = Compose(after)
    starts = window_starts(len(frames), span, stride)
    probs = []
    for b in range(0, len(starts), batch_size):
        samples = []
        for s in starts[b:b + batch_size]:
            inds = np.minimum(s + np.arange(clip_len) * interval,
                              len(frames) - 1)
            imgs = [frames[i] for i in inds]
            samples.append(post(dict(
                imgs=imgs, frame_inds=inds, clip_len=clip_len,
                frame_interval=interval, num_clips=1,
                img_shape=imgs[0].shape[:2],
                original_shape=imgs[0].shape[:2], filename=video,
                video_id=f'{video}@{s}', view_id=0, num_views=1,
                label=-1, start_index=0, modality='RGB')))
        with torch.no_grad():
            preds = model.test_step(pseudo_collate(samples))
        probs.extend(p.pred_score.float().cpu().numpy() for p in preds)
    probs = np.stack(probs)
    ends = [min(s + span, len(frames)) - 1 for s in starts]
    centers = [(s + e) / 2.0 / fps for s, e in zip(starts, ends)]
    return dict(classes=class_names(cfg, probs.shape[1]), fps=fps,
                starts=starts, ends=ends, centers_s=centers, probs=probs,
                frames=frames, face_detected=detected)


def write_timeline_csv(result: Dict, path: str) -> None:
    """One row per window: frames, times (s), predicted class and the
    probability of every class."""
    fps = result['fps']
    with atomic_path(path) as tmp, open(tmp, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['start_frame', 'end_frame', 'start_s', 'end_s',
                    'center_s', 'pred_class'] + list(result['classes']))
        for s, e, c, p in zip(result['starts'], result['ends'],
                              result['centers_s'], result['probs']):
            w.writerow([s, e, f'{s / fps:.3f}', f'{(e + 1) / fps:.3f}',
                        f'{c:.3f}', result['classes'][int(np.argmax(p))]]
                       + [f'{v:.6f}' for v in p])
