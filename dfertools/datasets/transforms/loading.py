"""Clip loading for DFER: a video file (decord) or a folder of frames.

mmaction2's ``DecordInit``/``DecordDecode`` read only video files and its
``RawFrameDecode`` needs a ``filename_tmpl`` with contiguous numbering. DFER
releases ship either (DFEW: frame folders ``00001/00001.jpg``; FERV39k,
MAFW: both; SynthDFER: mp4), so :class:`VideoInit` dispatches on the path and
:class:`VideoDecode` reads the sampled frames
(docs/design.md, 'Annotation formats'):

* a folder's frames are sorted numerically (``9.jpg`` before ``10.jpg``),
  not alphabetically;
* a path without extension that does not exist is tried with the usual
  video extensions (official DFEW csv names have none);
* ``decode_size=(w, h)`` decodes at the size the pipeline needs (decord
  scales inside ffmpeg; frames are resized right after reading), per the
  "decode at the needed size" principle (docs/design.md,
  'Performance principles'). Use it only when the
  stored frames already have the target aspect ratio;
* ``backend='cv2'`` reads video files with OpenCV/FFmpeg in one forward pass
  (:mod:`.cv2_video`; same pixels as decord, cheaper on short clips - the
  SynthDFER/DFER training pipelines use it), ``'decord'`` (default) with
  ``decord.VideoReader``;
* only regular files (videos, frames) and directories (frame folders) are
  opened, and a header with impossible values is refused before decord
  sees it (:mod:`..media_checks`): both raise ``CorruptVideoError`` naming
  the path, for either backend.

Frames stay ``uint8`` RGB, ``H×W×3``. Keys: ``VideoInit`` reads
``filename`` and writes ``total_frames`` plus ``video_reader`` (file) or
``frame_paths`` (folder); ``VideoDecode`` reads those and ``frame_inds``
and writes ``imgs``, ``img_shape`` and ``original_shape``.
"""
import os.path as osp
import re
from typing import List, Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from dfertools.registry import TRANSFORMS
from ..errors import DATA_DOC, CorruptVideoError
from ..media_checks import (MAX_FRAMES, check_header, media_kind,
                            probe_header, regular_frame_files)
from .clip_cache import CachedClip, cached_clip
from .cv2_video import Cv2VideoReader

FRAME_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.mov', '.webm')


def numeric_sort_key(name: str) -> Tuple:
    """Natural-order key: digit runs compare as integers."""
    return tuple((0, int(tok), '') if tok.isdigit() else (1, 0, tok)
                 for tok in re.split(r'(\d+)', name) if tok)


def list_frames(folder: str) -> List[str]:
    """Image files of ``folder`` in numeric order (``CorruptVideoError`` if
    one of them is not a regular file)."""
    names = regular_frame_files(folder, FRAME_EXTENSIONS)
    names.sort(key=numeric_sort_key)
    return [osp.join(folder, n) for n in names]


def resolve_path(filename: str) -> str:
    """Return ``filename`` or ``filename`` + a video extension that exists."""
    if osp.exists(filename):
        return filename
    if not osp.splitext(filename)[1]:
        for ext in VIDEO_EXTENSIONS:
            if osp.isfile(filename + ext):
                return filename + ext
    raise FileNotFoundError(
        f'Video not found: {filename} (neither a video file nor a frame '
        f'folder). Check data_root/data_prefix and the annotation paths; '
        f'see {DATA_DOC}.')


@TRANSFORMS.register_module()
class VideoInit(BaseTransform):
    """Open ``results['filename']``: a video file or a folder of frames.

    Args:
        decode_size: optional ``(width, height)`` to decode at.
        num_threads: decord decoding threads.
        backend: ``'decord'`` or ``'cv2'`` (:class:`Cv2VideoReader`; falls
            back to decord for a file whose header has no frame count).
        max_frames: a video or folder with more frames is refused as
            damaged (:mod:`..media_checks`).
        cache_mb: with ``backend='cv2'``, keep up to this many MiB of
            completely decoded clips in memory (:mod:`.clip_cache`); 0 (the
            default) decodes every read.
    """

    BACKENDS = ('decord', 'cv2')

    def __init__(self, decode_size: Optional[Tuple[int, int]] = None,
                 num_threads: int = 1, backend: str = 'decord',
                 max_frames: int = MAX_FRAMES, cache_mb: float = 0) -> None:
        if backend not in self.BACKENDS:
            raise ValueError(f'VideoInit: backend must be one of '
                             f'{self.BACKENDS}, got {backend!r}.')
        if max_frames < 1:
            raise ValueError(f'VideoInit: max_frames must be >= 1, got '
                             f'{max_frames}.')
        self.decode_size = tuple(decode_size) if decode_size else None
        self.num_threads = num_threads
        self.backend = backend
        self.max_frames = int(max_frames)
        if cache_mb and backend != 'cv2':
            raise ValueError('VideoInit: cache_mb needs backend="cv2".')
        self.cache_mb = float(cache_mb)

    def transform(self, results: dict) -> dict:
        path = resolve_path(results['filename'])
        results['filename'] = path
        if media_kind(path) == 'folder':
            frames = list_frames(path)
            if not frames:
                raise CorruptVideoError(
                    f'Frame folder {path} contains no {FRAME_EXTENSIONS} '
                    f'images; see {DATA_DOC}.')
            if len(frames) > self.max_frames:
                raise CorruptVideoError(
                    f'Frame folder {path} holds {len(frames)} frames > '
                    f'max_frames={self.max_frames}; raise '
                    f'VideoInit(max_frames=...) if that is real. See '
                    f'{DATA_DOC}.')
            results['frame_paths'] = frames
            results['total_frames'] = len(frames)
            return results
        if self.backend == 'cv2' and self.cache_mb > 0:
            clip = cached_clip(path, self.decode_size, self.cache_mb,
                               lambda: Cv2VideoReader(
                                   path, self.decode_size,
                                   max_frames=self.max_frames))
            if clip is not None:
                results['video_reader'] = clip
                results['total_frames'] = len(clip)
                return results
        if self.backend == 'cv2':
            reader = Cv2VideoReader(path, self.decode_size,
                                    max_frames=self.max_frames)
            if len(reader) > 0:
                results['video_reader'] = reader
                results['total_frames'] = len(reader)
                return results
        else:   # decord aborts the process on some impossible headers
            header = probe_header(path)
            if header is not None:
                check_header(path, *header, max_frames=self.max_frames)
        import decord
        kwargs = {}
        if self.decode_size is not None:
            kwargs = dict(width=self.decode_size[0],
                          height=self.decode_size[1])
        try:
            reader = decord.VideoReader(path, num_threads=self.num_threads,
                                        **kwargs)
        except (decord.DECORDError, RuntimeError) as err:
            raise CorruptVideoError(f'Cannot open video {path}: {err}') \
                from err
        if len(reader) == 0:
            raise CorruptVideoError(f'Video {path} has no frames.')
        check_header(path, len(reader), reader.get_avg_fps(),
                     max_frames=self.max_frames, source='decord')
        results['video_reader'] = reader
        results['total_frames'] = len(reader)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(decode_size={self.decode_size}, '
                f'num_threads={self.num_threads}, backend={self.backend!r}, '
                f'max_frames={self.max_frames}, cache_mb={self.cache_mb:g})')


@TRANSFORMS.register_module()
class VideoDecode(BaseTransform):
    """Decode ``results['frame_inds']`` into ``results['imgs']`` (RGB uint8).

    Args:
        decode_size: ``(width, height)`` for frame folders (videos are
            scaled by ``VideoInit``). ``None`` keeps the stored size.
    """

    def __init__(self, decode_size: Optional[Tuple[int, int]] = None
                 ) -> None:
        self.decode_size = tuple(decode_size) if decode_size else None

    def _read_frame(self, path: str) -> np.ndarray:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise CorruptVideoError(f'Cannot read frame {path}.')
        if self.decode_size is not None and \
                (img.shape[1], img.shape[0]) != self.decode_size:
            img = cv2.resize(img, self.decode_size,
                             interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)

    @staticmethod
    def _check_same_size(frames: List[np.ndarray], folder: str) -> None:
        sizes = sorted({f.shape[1::-1] for f in frames})
        if len(sizes) > 1:
            raise CorruptVideoError(
                f'Frames of {folder} differ in size (w, h: {sizes}); '
                're-extract them at one size or set '
                f'VideoDecode(decode_size=(w, h)). See {DATA_DOC}.')

    def transform(self, results: dict) -> dict:
        inds = np.asarray(results['frame_inds'], dtype=np.int64).reshape(-1)
        unique, inverse = np.unique(inds, return_inverse=True)
        reader = results.pop('video_reader', None)
        # our readers raise CorruptVideoError themselves (and need no decord
        # import, ~0.2 s in every loader worker)
        if isinstance(reader, (Cv2VideoReader, CachedClip)):
            frames = list(reader.get_batch(unique.tolist()))
        elif reader is not None:
            import decord
            try:
                frames = reader.get_batch(unique.tolist()).asnumpy()
            except (decord.DECORDError, RuntimeError) as err:
                raise CorruptVideoError(
                    f'Cannot decode frames of {results["filename"]}: '
                    f'{err}') from err
            frames = list(frames)
        else:
            paths = results['frame_paths']
            frames = [self._read_frame(paths[i]) for i in unique]
            self._check_same_size(frames, results['filename'])
        imgs = [frames[j] for j in inverse]
        results['imgs'] = imgs
        results['original_shape'] = imgs[0].shape[:2]
        results['img_shape'] = imgs[0].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(decode_size={self.decode_size})'
