"""Refusing media whose file type or header values are impossible
(docs/design.md, 'Reliability principles'), before they reach a decoder that
would hang or crash on them.

Two kinds of damage escaped ``CorruptVideoError`` before these checks:

* **a path that is not a regular file** — a FIFO (named pipe), a socket, a
  device. FFmpeg opens it and waits for data that never comes, so one such
  entry in an annotation list stalled training and
  ``tools/data/check_dataset.py`` forever. :func:`media_kind` accepts only
  regular files (videos) and directories (frame folders), using the
  ``os.stat`` mode, before anything opens the path; the frame-folder
  listing (:func:`regular_frame_files`) does the same for every frame;
* **a damaged header** (a flipped byte in the mp4 ``moov`` atom). OpenCV
  then reports values no video can have: a negative frame count (-2.3e17:
  its duration x fps when the duration is unreadable), 2^31 frames for an
  8 kB file, a 0 x 0 frame size, an fps of 0 or NaN. The negative count made
  ``len(reader)`` raise ``ValueError``; the huge one made decord allocate a
  frame index of that size and abort the whole process
  (``std::bad_alloc``), which no ``except`` can catch.

:func:`check_header` refuses every impossible value with a
``CorruptVideoError`` that names the path and the value:

* frame count: must be finite and >= 0 (0 means "not in the header": the
  caller counts with decord), at most ``max_frames`` (default
  :data:`MAX_FRAMES`, 10^6 frames = 11 h at 25 fps) and at most the file's
  size in bytes (every coded frame takes at least one byte);
* width and height: finite, 1 .. :data:`MAX_SIDE` (16384; a damaged size
  of 65535 x 65535 would need 12 GB per decoded frame);
* fps: finite and > 0.

For the decord backend the header is read with OpenCV first
(:func:`probe_header`: container and stream headers only, no frame is
decoded; ~0.3 ms per open, against ~1-2 ms for decord's own open), because
decord aborts inside its constructor, before its values can be checked.
When OpenCV cannot open a file at all, decord is left to try, and its own
frame count and fps are checked once it has opened the file.
"""
import math
import os
import stat
from typing import List, NamedTuple, Optional

import cv2

from .errors import DATA_DOC, CorruptVideoError

MAX_FRAMES = 10 ** 6
MAX_SIDE = 16384

_NOT_REGULAR = ((stat.S_ISDIR, 'a directory'),
                (stat.S_ISFIFO, 'a FIFO (named pipe)'),
                (stat.S_ISSOCK, 'a socket'),
                (stat.S_ISCHR, 'a character device'),
                (stat.S_ISBLK, 'a block device'))


class VideoHeader(NamedTuple):
    """Values of a video's header as OpenCV reads them (floats)."""
    frames: float
    fps: float
    width: float
    height: float


def _kind(mode: int) -> str:
    for test, name in _NOT_REGULAR:
        if test(mode):
            return name
    return f'a special file (mode {oct(stat.S_IFMT(mode))})'


def _refuse_special(path: str, mode: int, expected: str) -> None:
    raise CorruptVideoError(
        f'{path} is {_kind(mode)}, not {expected}; only regular files '
        '(videos, frames) and directories (frame folders) are read, since '
        'opening anything else can block forever. Point the annotation at '
        f'the video file itself. See {DATA_DOC}.')


def media_kind(path: str) -> str:
    """``'folder'`` for a directory, ``'file'`` for a regular file (symlinks
    followed); ``CorruptVideoError`` for anything else. ``os.stat`` errors
    (``FileNotFoundError``, ``PermissionError``) propagate."""
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        return 'folder'
    if stat.S_ISREG(mode):
        return 'file'
    _refuse_special(path, mode, 'a video file or a frame folder')


def regular_frame_files(folder: str, extensions) -> List[str]:
    """Names in ``folder`` with one of ``extensions`` (case-insensitive);
    ``CorruptVideoError`` if one of them is not a regular file. Uses the
    directory entries' types, so it costs no ``stat`` per frame (except for
    symbolic links, which are followed)."""
    names = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.lower().endswith(extensions):
                continue
            if not entry.is_file():
                path = os.path.join(folder, entry.name)
                _refuse_special(path, os.stat(path).st_mode, 'an image file')
            names.append(entry.name)
    return names


def probe_header(path: str) -> Optional[VideoHeader]:
    """The header values OpenCV/FFmpeg reads for ``path`` without decoding a
    frame, or ``None`` when OpenCV cannot open it."""
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
    try:
        if not cap.isOpened():
            return None
        return header_of(cap)
    finally:
        cap.release()


def header_of(cap) -> VideoHeader:
    """The header values of an opened ``cv2.VideoCapture``."""
    return VideoHeader(cap.get(cv2.CAP_PROP_FRAME_COUNT),
                       cap.get(cv2.CAP_PROP_FPS),
                       cap.get(cv2.CAP_PROP_FRAME_WIDTH),
                       cap.get(cv2.CAP_PROP_FRAME_HEIGHT))


def check_header(path: str, frames: float, fps: float,
                 width: Optional[float] = None,
                 height: Optional[float] = None,
                 max_frames: int = MAX_FRAMES,
                 source: str = 'OpenCV') -> int:
    """Refuse impossible header values (module doc); return the frame count
    as an int (0: not in the header). ``width``/``height`` ``None``: not
    checked (decord reads them only by decoding)."""
    problems = []
    if not math.isfinite(frames) or frames < 0:
        problems.append(f'frame count {frames:g}')
    elif frames > max_frames:
        problems.append(f'frame count {frames:g} > max_frames={max_frames}')
    else:
        size = os.path.getsize(path)
        if frames > size:
            problems.append(f'frame count {frames:g} for a file of {size} '
                            'bytes (each frame takes at least one byte)')
    if width is not None and height is not None and not all(
            math.isfinite(v) and 1 <= v <= MAX_SIDE for v in (width, height)):
        problems.append(f'frame size {width:g} x {height:g}')
    if not math.isfinite(fps) or fps <= 0:
        problems.append(f'fps {fps:g}')
    if problems:
        longer = (' If the video really is that long, raise '
                  'VideoInit(max_frames=...).' if 'max_frames' in
                  problems[0] else '')
        raise CorruptVideoError(
            f'Video {path} has an impossible header ({"; ".join(problems)}; '
            f'as read by {source}): the file is damaged. Re-encode or '
            're-download it; `python tools/data/check_dataset.py ANNOTATION` '
            f'finds every such file.{longer} See {DATA_DOC}.')
    return int(frames)
