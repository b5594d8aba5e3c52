"""Decoded clips kept in memory, for small datasets read many times.

``VideoInit(cache_mb=N)`` decodes a video file completely the first time it
is read (at ``decode_size``) and keeps the frames in a process-wide LRU
cache of at most ``N`` MiB; later reads of the same file only index the
cached array. On a small dataset read for many epochs (the demo's SynthDFER
at 32x32, ~1 GiB for 7,000 clips) this removes decoding from every epoch
but the first.

The cache lives in the process that runs the pipeline: with
``worker_type='thread'`` or ``num_workers=0`` it is shared by every sample;
with worker *processes* each worker fills its own (so use
``persistent_workers=True``, and count the memory once per worker). The key
is the path, ``decode_size`` and the file's size and mtime, so a rewritten
file is decoded again. Frame folders are not cached.
"""
import os
import threading
from collections import OrderedDict
from typing import Optional, Sequence, Tuple

import numpy as np


class CachedClip:
    """A decoded clip with the reader interface ``VideoDecode`` uses."""

    def __init__(self, frames: np.ndarray, path: str) -> None:
        self.frames = frames
        self.path = path

    def __len__(self) -> int:
        return len(self.frames)

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        return self.frames[np.asarray(indices, dtype=np.int64)]


class ClipCache:
    """Thread-safe LRU of decoded clips bounded by bytes."""

    def __init__(self) -> None:
        self._items: 'OrderedDict[Tuple, np.ndarray]' = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(path: str, decode_size: Optional[Tuple[int, int]]) -> Tuple:
        st = os.stat(path)
        return (path, decode_size, st.st_size, st.st_mtime_ns)

    def get(self, key: Tuple) -> Optional[np.ndarray]:
        with self._lock:
            frames = self._items.get(key)
            if frames is not None:
                self._items.move_to_end(key)
            return frames

    def put(self, key: Tuple, frames: np.ndarray, max_bytes: int) -> None:
        if frames.nbytes > max_bytes:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = frames
            self._bytes += frames.nbytes
            while self._bytes > max_bytes:
                _, old = self._items.popitem(last=False)
                self._bytes -= old.nbytes

    @property
    def nbytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


CLIP_CACHE = ClipCache()


def cached_clip(path: str, decode_size: Optional[Tuple[int, int]],
                cache_mb: float, open_reader) -> Optional[CachedClip]:
    """The clip at ``path`` from the cache, decoding it completely with
    ``open_reader()`` (a reader with ``len`` / ``get_batch``) on a miss.
    Returns None when ``open_reader()`` gives no usable frame count."""
    key = ClipCache.key(path, decode_size)
    frames = CLIP_CACHE.get(key)
    if frames is None:
        reader = open_reader()
        if reader is None or len(reader) <= 0:
            return None
        frames = np.ascontiguousarray(np.stack(
            list(reader.get_batch(list(range(len(reader)))))))
        CLIP_CACHE.put(key, frames, int(cache_mb * 2 ** 20))
    return CachedClip(frames, path)
