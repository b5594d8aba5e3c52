"""Whole-clip reading and atomic writing for face extraction.

:func:`read_clip` reads every frame of a video file (OpenCV/FFmpeg) or of a
frame folder (numeric order) as RGB. :func:`write_clip` writes crops as an
mp4 file or a folder of JPEG frames (``00001.jpg`` …) under a hidden
temporary name in the target's folder and renames it into place only when
complete, so a killed run leaves either nothing or a whole output (plus a
temporary leftover that the next attempt for the same clip removes).
"""
import glob
import os
import os.path as osp
import shutil
from typing import List, Tuple

import cv2
import numpy as np

from ..transforms.loading import FRAME_EXTENSIONS, list_frames

TMP_MARK = '.tmp-'


class UnreadableVideoError(OSError):
    """The input could not be decoded (or has no frames)."""


def read_clip(path: str) -> Tuple[List[np.ndarray], float]:
    """``(frames, fps)``; frames RGB ``uint8``. A frame folder reports
    ``fps`` 0."""
    if osp.isdir(path):
        frames = []
        for f in list_frames(path):
            img = cv2.imread(f, cv2.IMREAD_COLOR)
            if img is None:
                raise UnreadableVideoError(f'{path}: unreadable frame {f}')
            frames.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        if not frames:
            raise UnreadableVideoError(f'{path}: folder has no frames '
                                       f'({", ".join(FRAME_EXTENSIONS)})')
        return frames, 0.0
    if not osp.isfile(path):
        raise UnreadableVideoError(f'{path}: no such file or folder')
    cap = cv2.VideoCapture(path)
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0) if cap.isOpened() else 0.
    frames = []
    while cap.isOpened():
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames:
        raise UnreadableVideoError(f'{path}: unreadable video (OpenCV '
                                   'decoded no frame)')
    return frames, fps


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


def write_clip(frames: List[np.ndarray], out: str, fps: float = 25.0,
               jpeg_quality: int = 95) -> None:
    """Write RGB ``frames`` to ``out``: an ``.mp4`` file, otherwise a
    folder of JPEG frames; atomically (see the module doc)."""
    folder, name = osp.split(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    remove_leftovers(out)
    is_mp4 = out.lower().endswith('.mp4')
    tmp = osp.join(folder, f'.{name}{TMP_MARK}{os.getpid()}' +
                   ('.mp4' if is_mp4 else ''))
    try:
        if is_mp4:
            h, w = frames[0].shape[:2]
            writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'),
                                     fps if fps > 0 else 25.0, (w, h))
            if not writer.isOpened():
                raise OSError(f'{out}: OpenCV cannot open an mp4 writer')
            for f in frames:
                writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
            writer.release()
        else:
            os.makedirs(tmp)
            for i, f in enumerate(frames, 1):
                p = osp.join(tmp, f'{i:05d}.jpg')
                if not cv2.imwrite(p, cv2.cvtColor(f, cv2.COLOR_RGB2BGR),
                                   [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]):
                    raise OSError(f'{p}: could not write the frame')
        if osp.lexists(out):
            _remove(out)
        os.replace(tmp, out)
    finally:
        if osp.lexists(tmp):
            _remove(tmp)
