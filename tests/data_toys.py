"""Generated media (good and broken) and a tiny video model for the
data-reliability tests (bad samples, broken media, check_dataset, soak)."""
import os

import cv2
import numpy as np
import torch
from mmaction.structures import ActionDataSample  # noqa: F401  (registers)
from mmengine.model import BaseModel
from mmengine.runner import Runner

from tests.mp4_damage import DAMAGES


def write_video(path, frames=8, size=(32, 32), gray=False, seed=0):
    """A real mp4 (``mp4v``) of random frames; ``size`` is (w, h)."""
    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 25,
                             tuple(size), not gray)
    shape = (size[1], size[0]) if gray else (size[1], size[0], 3)
    for _ in range(frames):
        writer.write(rng.integers(0, 256, shape).astype(np.uint8))
    writer.release()
    return str(path)


def write_frames(folder, frames=4, size=(32, 32), gray=False, ext='.jpg'):
    """A frame folder ``1.jpg, 2.jpg, ...``; ``size`` is (w, h)."""
    os.makedirs(folder, exist_ok=True)
    shape = (size[1], size[0]) if gray else (size[1], size[0], 3)
    for i in range(1, frames + 1):
        cv2.imwrite(os.path.join(folder, f'{i}{ext}'),
                    np.full(shape, 20 * i % 256, np.uint8))
    return str(folder)


def corrupt(path, kind, seed=0):
    """Break the file at ``path`` in place: ``truncate`` (keep the first
    40% of the bytes), ``empty`` (zero length), ``random`` bytes, or one of
    the header damages of :data:`tests.mp4_damage.DAMAGES`."""
    data = open(path, 'rb').read() if os.path.exists(path) else b''
    if kind in DAMAGES:
        data = DAMAGES[kind](data)
    elif kind == 'truncate':
        data = data[:int(len(data) * 0.4)]
    elif kind == 'empty':
        data = b''
    elif kind == 'random':
        data = np.random.default_rng(seed).bytes(max(len(data), 1000))
    else:
        raise ValueError(kind)
    with open(path, 'wb') as f:
        f.write(data)
    return str(path)


def make_video_list(root, num_videos, bad=(), frames=8, size=(32, 32),
                    kinds=('truncate', 'empty', 'random')):
    """``root/videos/NNNN.mp4`` + ``root/ann.txt`` (``path label``); the
    indices in ``bad`` are corrupted (cycling through ``kinds``, see
    :func:`corrupt`). Returns ``(ann_file, [bad absolute paths])``."""
    os.makedirs(os.path.join(root, 'videos'), exist_ok=True)
    lines, bad_paths = [], []
    for i in range(num_videos):
        path = os.path.join(root, 'videos', f'{i:04d}.mp4')
        write_video(path, frames=frames, size=size, seed=i)
        if i in bad:
            corrupt(path, kinds[len(bad_paths) % len(kinds)], seed=i)
            bad_paths.append(path)
        lines.append(f'{path} {i % 7}')
    ann = os.path.join(root, 'ann.txt')
    with open(ann, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return ann, bad_paths


def train_pipeline(clip_len=4, size=32, augment=False, backend='decord'):
    """The shape of the SynthDFER training pipeline, at a tiny size;
    ``augment`` adds its RandomResizedCrop and Flip; ``backend``: of
    VideoInit."""
    crop = [dict(type='RandomResizedCrop', area_range=(0.7, 1.0))]
    flip = [dict(type='Flip', flip_ratio=0.5)]
    return [
        dict(type='VideoInit', backend=backend),
        dict(type='DFERSampleFrames', clip_len=clip_len, frame_interval=1),
        dict(type='VideoDecode'),
        *(crop if augment else []),
        dict(type='Resize', scale=(size, size), keep_ratio=False),
        *(flip if augment else []),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs', meta_keys=('video_id', 'view_id')),
    ]


class TinyVideoNet(BaseModel):
    """Conv3d(3->4) + global pooling + linear on uint8 clips [1,3,T,H,W]."""

    def __init__(self, num_classes=7):
        super().__init__()
        self.conv = torch.nn.Conv3d(3, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4, num_classes)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs).flatten(0, 1).float() / 255.0
        logits = self.fc(self.conv(x).relu().mean((2, 3, 4)))
        if mode == 'loss':
            y = torch.cat([d.gt_label for d in data_samples])
            return dict(loss_cls=torch.nn.functional.cross_entropy(logits, y))
        return logits


def tiny_video_runner(work_dir, loader: dict, train_cfg: dict,
                      custom_hooks, log_interval: int, **kwargs) -> Runner:
    """A Runner training :class:`TinyVideoNet` with SGD and no checkpoints on
    the dataloader ``loader`` (``pseudo_collate`` added) — the shape of the
    bad-sample and soak runs; ``kwargs`` go to the Runner."""
    return Runner(
        model=TinyVideoNet(), work_dir=str(work_dir),
        train_dataloader=dict(loader, collate_fn=dict(type='pseudo_collate')),
        train_cfg=train_cfg,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=None, logger=dict(
            type='LoggerHook', interval=log_interval)),
        custom_hooks=list(custom_hooks), default_scope='dfertools',
        **kwargs)
