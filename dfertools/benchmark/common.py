"""Helpers shared by the benchmark harness, its data mode and the GPU
check: autocast, device sync, median, peak RSS, clip shape."""
import contextlib
import resource
from typing import Sequence

import torch


AMP_CHOICES = ('none', 'bf16')


def autocast(device, amp: str = 'none'):
    """The forward's autocast context: ``bf16`` autocast (as the configs'
    ``AmpOptimWrapper(dtype='bfloat16')`` trains) or none (fp32)."""
    if amp not in AMP_CHOICES:
        raise ValueError(f'amp must be one of {AMP_CHOICES}, got {amp!r}.')
    if amp == 'none':
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)


def sync(device):
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize()


def median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.


def clip_shape(cfg) -> tuple:
    """``(T, H, W)`` of one clip from ``cfg.model.backbone``."""
    bb = cfg.model.backbone
    size = bb.get('img_size', 224)
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    return bb.get('num_frames', 16), h, w
