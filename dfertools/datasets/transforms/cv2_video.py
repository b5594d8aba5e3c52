"""An OpenCV (FFmpeg) video reader with decord's ``len`` / ``get_batch``
interface, for ``VideoInit(backend='cv2')`` (docs/design.md,
'Performance principles'; docs/benchmarks.md).

Why: on short DFER clips (16-100 frames) opening a file and decoding the
sampled frames costs less with ``cv2.VideoCapture`` than with
``decord.VideoReader``, which scans the whole file to build a frame index at
open and re-seeks for every non-consecutive frame of ``get_batch``. Here the
frames are decoded in one forward pass: ``grab()`` (decode only) for frames
that are skipped, ``retrieve()`` (decode + colour conversion) for the
sampled ones. A clip that starts later than ``seek_threshold`` frames seeks
first (OpenCV seeks to the previous keyframe and decodes forward, so the
frame is exact). The pixels equal decord's (both convert with FFmpeg's
swscale; checked in tests/datasets/transforms/test_cv2_video.py).

``len`` is the container's frame count (exact for mp4; some containers only
estimate it). If a sampled frame lies past the real end, the reader falls
back to decord, whose index is exact, and clamps to its last frame. A header
with impossible values (negative or absurd frame count, 0 x 0 frames, fps
0 or NaN: a damaged file) is refused at open with ``CorruptVideoError``
(:func:`~dfertools.datasets.media_checks.check_header`), so neither
``len`` nor the decord fallback ever sees it.
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..errors import DATA_DOC, CorruptVideoError
from ..media_checks import MAX_FRAMES, check_header, header_of


class Cv2VideoReader:
    """Sequential frame reader over ``cv2.VideoCapture``.

    Args:
        path: the video file.
        decode_size: optional ``(width, height)``; frames are resized with
            ``INTER_AREA`` right after decoding.
        seek_threshold: decode from the first frame (no seek) when the
            first sampled frame is below this index.
        max_frames: a header claiming more frames is refused as damaged.
    """

    def __init__(self, path: str,
                 decode_size: Optional[Tuple[int, int]] = None,
                 seek_threshold: int = 48,
                 max_frames: int = MAX_FRAMES) -> None:
        self.path = path
        self.decode_size = tuple(decode_size) if decode_size else None
        self.seek_threshold = int(seek_threshold)
        # one FFmpeg thread: loader workers already use every core
        self._cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG,
                                     [cv2.CAP_PROP_N_THREADS, 1])
        if not self._cap.isOpened():
            raise CorruptVideoError(
                f'Cannot open video {path} with OpenCV/FFmpeg; check the '
                f'file or use VideoInit(backend="decord"). See {DATA_DOC}.')
        # raises CorruptVideoError on impossible values; 0 = not in the
        # header (VideoInit then counts with decord)
        self._len = check_header(path, *header_of(self._cap),
                                 max_frames=max_frames, source='OpenCV')
        self._pos = 0

    def __len__(self) -> int:
        return self._len

    def _rgb(self, bgr: np.ndarray) -> np.ndarray:
        if self.decode_size is not None and \
                (bgr.shape[1], bgr.shape[0]) != self.decode_size:
            bgr = cv2.resize(bgr, self.decode_size,
                             interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        """Frames at the sorted, unique ``indices`` as ``[K, H, W, 3]``
        uint8 RGB."""
        inds = [int(i) for i in indices]
        if not inds:
            raise ValueError(f'{self.path}: no frame indices to decode.')
        if any(b <= a for a, b in zip(inds, inds[1:])) or inds[0] < 0:
            raise ValueError(f'{self.path}: frame indices must be sorted, '
                             f'unique and >= 0, got {inds}.')
        cap = self._cap
        if inds[0] < self._pos or inds[0] - self._pos >= self.seek_threshold:
            cap.set(cv2.CAP_PROP_POS_FRAMES, inds[0])
            self._pos = inds[0]
        frames: List[np.ndarray] = []
        for i in inds:
            while self._pos < i:
                if not cap.grab():
                    return self._decord_fallback(inds)
                self._pos += 1
            ok, bgr = cap.read()
            if not ok:
                return self._decord_fallback(inds)
            self._pos += 1
            frames.append(self._rgb(bgr))
        return np.stack(frames)

    def _decord_fallback(self, inds: List[int]) -> np.ndarray:
        """The container's frame count was too high: read with decord's exact
        index, sampled frames past the end clamped to the last frame."""
        import decord
        kwargs = {}
        if self.decode_size is not None:
            kwargs = dict(width=self.decode_size[0],
                          height=self.decode_size[1])
        try:
            reader = decord.VideoReader(self.path, num_threads=1, **kwargs)
            n = len(reader)
            if n == 0:
                raise CorruptVideoError(f'Video {self.path} has no frames.')
            clamped = [min(i, n - 1) for i in inds]
            return reader.get_batch(clamped).asnumpy()
        except (decord.DECORDError, RuntimeError) as err:
            if isinstance(err, CorruptVideoError):
                raise
            raise CorruptVideoError(
                f'Cannot decode frames {inds} of {self.path}: {err}') from err

    def __del__(self):
        cap = getattr(self, '_cap', None)
        if cap is not None:
            cap.release()
