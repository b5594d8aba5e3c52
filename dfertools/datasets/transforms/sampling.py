"""Temporal sampling of one DFER clip (docs/design.md,
'Clip sampling' and 'Test views').

:class:`DFERSampleFrames` picks ``clip_len`` frame indices ``frame_interval``
apart, spanning ``(clip_len - 1) * frame_interval + 1`` frames:

* training: a window placed uniformly at random (drawn from
  :func:`~dfertools.datasets.sample_rng.sample_rng`);
* testing: view ``k`` of ``N`` (``results['view_id']``, set by the dataset)
  starts at ``round(k * (T - span) / (N - 1))`` — N evenly placed windows,
  so 2 views are the start and the end of the clip; a single view is
  centred. With ``num_crops=M`` (spatial views, :mod:`.spatial_views`)
  view ``v`` uses temporal window ``v // M`` of ``N``, and the dataset has
  ``N*M`` views per video.

Deliberate choice (docs/design.md, 'Clip sampling'): when the clip is shorter
than the span,
indices past the end repeat the last frame (padding), rather than
shrinking the stride.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from dfertools.registry import TRANSFORMS
from ..sample_rng import sample_rng


def window_indices(total_frames: int, clip_len: int, frame_interval: int,
                   start: int) -> np.ndarray:
    """Indices of the window at ``start``, padded with the last frame."""
    inds = start + np.arange(clip_len, dtype=np.int64) * frame_interval
    return np.minimum(inds, total_frames - 1)


@TRANSFORMS.register_module()
class DFERSampleFrames(BaseTransform):
    """Sample one clip (one view) from ``total_frames``.

    Reads ``total_frames`` and, in test mode, ``view_id`` (default 0);
    writes ``frame_inds`` (int64, ``[clip_len]``), ``clip_len``,
    ``frame_interval`` and ``num_clips`` (1).

    Args:
        clip_len: frames per clip.
        frame_interval: stride between sampled frames.
        test_mode: evenly placed views instead of a random window.
        num_views: number of temporal test views N.
        num_crops: spatial views M per temporal window (``SpatialViewCrop``
            with the same ``num_crops``); the dataset's ``num_views`` must
            be ``N*M``.
    """

    def __init__(self, clip_len: int = 16, frame_interval: int = 4,
                 test_mode: bool = False, num_views: int = 1,
                 num_crops: int = 1) -> None:
        if clip_len < 1 or frame_interval < 1 or num_views < 1 \
                or num_crops < 1:
            raise ValueError('clip_len, frame_interval, num_views and '
                             'num_crops must be >= 1')
        self.num_crops = num_crops
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.test_mode = test_mode
        self.num_views = num_views

    def _start(self, total: int, view_id: int) -> int:
        span = (self.clip_len - 1) * self.frame_interval + 1
        max_start = max(total - span, 0)
        if not self.test_mode:
            return int(sample_rng().randint(0, max_start + 1))
        if self.num_views == 1:
            return max_start // 2
        return int(round(view_id * max_start / (self.num_views - 1)))

    def transform(self, results: dict) -> dict:
        total = int(results['total_frames'])
        if total < 1:
            raise ValueError(f'{results.get("filename")}: no frames')
        view_id = int(results.get('view_id', 0)) if self.test_mode else 0
        total_views = self.num_views * self.num_crops
        if not 0 <= view_id < total_views:
            raise ValueError(
                f'view_id {view_id} outside 0..{total_views - 1}: the '
                'dataset\'s num_views must be DFERSampleFrames\' num_views '
                f'x num_crops ({self.num_views} x {self.num_crops}).')
        start = self._start(total, view_id // self.num_crops)
        results['frame_inds'] = window_indices(total, self.clip_len,
                                               self.frame_interval, start)
        results['clip_len'] = self.clip_len
        results['frame_interval'] = self.frame_interval
        results['num_clips'] = 1
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(clip_len={self.clip_len}, '
                f'frame_interval={self.frame_interval}, '
                f'test_mode={self.test_mode}, num_views={self.num_views}, '
                f'num_crops={self.num_crops})')
