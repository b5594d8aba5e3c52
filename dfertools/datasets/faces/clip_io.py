"""Clip reading and atomic writing for face extraction.

:func:`iter_frames` yields the frames of a video file (OpenCV/FFmpeg) or of
a frame folder (numeric order) as RGB, one at a time, so a long video is
never held in memory; :func:`read_clip` collects them. :func:`write_clip`
writes frames (any iterable) as an mp4 file or a folder of JPEG frames
(``00001.jpg`` …) under a hidden temporary name in the target's folder
and renames it into place only when complete, so a killed run leaves
either nothing or a whole output (plus a temporary leftover that the next
attempt for the same clip removes).
"""
import glob
import os
import os.path as osp
import shutil
from typing import Iterable, Iterator, List, Tuple

import cv2
import numpy as np

from ..transforms.loading import FRAME_EXTENSIONS, list_frames

TMP_MARK = '.tmp-'


class UnreadableVideoError(OSError):
    """The input could not be decoded (or has no frames)."""


def clip_fps(path: str) -> float:
    """Frame rate of a video file (0 for a frame folder or if unknown)."""
    if osp.isdir(path):
        return 0.0
    cap = cv2.VideoCapture(path)
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0) if cap.isOpened() else 0.
    cap.release()
    return fps


def iter_frames(path: str) -> Iterator[np.ndarray]:
    """RGB ``uint8`` frames of ``path``; ``UnreadableVideoError`` if it has
    none (raised when iteration starts)."""
    if osp.isdir(path):
        files = list_frames(path)
        if not files:
            raise UnreadableVideoError(f'{path}: folder has no frames '
                                       f'({", ".join(FRAME_EXTENSIONS)})')
        for f in files:
            img = cv2.imread(f, cv2.IMREAD_COLOR)
            if img is None:
                raise UnreadableVideoError(f'{path}: unreadable frame {f}')
            yield cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        return
    if not osp.isfile(path):
        raise UnreadableVideoError(f'{path}: no such file or folder')
    cap = cv2.VideoCapture(path)
    try:
        n = 0
        while cap.isOpened():
            ok, bgr = cap.read()
            if not ok:
                break
            n += 1
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if n == 0:
            raise UnreadableVideoError(f'{path}: unreadable video (OpenCV '
                                       'decoded no frame)')
    finally:
        cap.release()


def read_clip(path: str) -> Tuple[List[np.ndarray], float]:
    """``(frames, fps)``: all frames in memory (``fps`` 0 for a frame
    folder)."""
    return list(iter_frames(path)), clip_fps(path)


def _remove(path: str) -> None:
    if osp.isdir(path) and not osp.islink(path):
        shutil.rmtree(path)
    elif osp.lexists(path):
        os.remove(path)


def remove_leftovers(out: str) -> None:
    """Delete temporary outputs of earlier, killed attempts at ``out``."""
    folder, name = osp.split(osp.abspath(out))
    for p in glob.glob(osp.join(glob.escape(folder),
                                f'.{glob.escape(name)}{TMP_MARK}*')):
        _remove(p)


def write_clip(frames: Iterable[np.ndarray], out: str, fps: float = 25.0,
               jpeg_quality: int = 95) -> int:
    """Write RGB ``frames`` to ``out``: an ``.mp4`` file, otherwise a
    folder of JPEG frames; atomically (see the module doc). Returns the
    number of frames written (none: nothing is written, ``OSError``)."""
    folder, name = osp.split(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    remove_leftovers(out)
    is_mp4 = out.lower().endswith('.mp4')
    tmp = osp.join(folder, f'.{name}{TMP_MARK}{os.getpid()}' +
                   ('.mp4' if is_mp4 else ''))
    writer, count = None, 0
    try:
        if not is_mp4:
            os.makedirs(tmp)
        for count, f in enumerate(frames, 1):
            bgr = cv2.cvtColor(f, cv2.COLOR_RGB2BGR)
            if is_mp4:
                if writer is None:
                    writer = cv2.VideoWriter(
                        tmp, cv2.VideoWriter_fourcc(*'mp4v'),
                        fps if fps > 0 else 25.0, (f.shape[1], f.shape[0]))
                    if not writer.isOpened():
                        raise OSError(f'{out}: OpenCV cannot open an mp4 '
                                      'writer')
                writer.write(bgr)
            elif not cv2.imwrite(osp.join(tmp, f'{count:05d}.jpg'), bgr,
                                 [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]):
                raise OSError(f'{out}: could not write frame {count}')
        if writer is not None:
            writer.release()
            writer = None
        if count == 0:
            raise OSError(f'{out}: no frames to write')
        if osp.lexists(out):
            _remove(out)
        os.replace(tmp, out)
        return count
    finally:
        if writer is not None:
            writer.release()
        if osp.lexists(tmp):
            _remove(tmp)
