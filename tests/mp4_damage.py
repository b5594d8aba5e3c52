"""Damaged mp4 headers for the broken-media and fuzz tests.

An mp4 is a tree of boxes (``size``, 4-letter type, payload); the header
box ``moov`` holds the track's sample table (``stts``: frame count and
durations, ``stsd``: codec and frame size, ``stco``: where the frames lie in
``mdat``). OpenCV's writer puts ``moov`` after the frames; :func:`faststart`
moves it to the front (as ``ffmpeg -movflags +faststart`` does), so the
first few hundred bytes of a file are header in one layout and frame data in
the other. The named damages below are single-byte edits found by fuzzing
that give OpenCV impossible header values.
"""
import struct
from typing import Dict, Tuple

CONTAINERS = {b'moov', b'trak', b'mdia', b'minf', b'stbl', b'edts',
              b'dinf'}


def boxes(data: bytes) -> Dict[bytes, Tuple[int, int]]:
    """``{type: (offset, size)}`` of the first box of each type."""
    found: Dict[bytes, Tuple[int, int]] = {}

    def walk(off: int, end: int) -> None:
        while off + 8 <= end:
            size, kind = struct.unpack('>I4s', data[off:off + 8])
            if size < 8 or off + size > end:
                return
            found.setdefault(kind, (off, size))
            if kind in CONTAINERS:
                walk(off + 8, off + size)
            off += size

    walk(0, len(data))
    return found


def faststart(data: bytes) -> bytes:
    """The same video with ``moov`` in front of ``mdat`` (chunk offsets in
    ``stco`` shifted by the size of the moved box)."""
    b = boxes(data)
    (moov_off, moov_size), (mdat_off, _) = b[b'moov'], b[b'mdat']
    assert moov_off > mdat_off, 'already faststart'
    moov = bytearray(data[moov_off:moov_off + moov_size])
    stco_off = b[b'stco'][0] - moov_off
    count = struct.unpack('>I', moov[stco_off + 12:stco_off + 16])[0]
    for i in range(count):
        at = stco_off + 16 + 4 * i
        old = struct.unpack('>I', moov[at:at + 4])[0]
        moov[at:at + 4] = struct.pack('>I', old + moov_size)
    rest = data[:moov_off] + data[moov_off + moov_size:]
    return rest[:mdat_off] + bytes(moov) + rest[mdat_off:]


def _edit(data: bytes, *edits: Tuple[bytes, int, int]) -> bytes:
    """Set the byte ``offset`` after the start of box ``kind`` to
    ``value`` for every ``(kind, offset, value)``."""
    out = bytearray(data)
    b = boxes(data)
    for kind, offset, value in edits:
        out[b[kind][0] + offset] = value
    return bytes(out)


def negative_frame_count(data: bytes) -> bytes:
    """OpenCV reads frame count -2.3e17 (no duration: its duration x fps
    fallback) and a 0 x 0 frame size: the ``mdhd`` type is garbled and the
    ``stsd`` size over-long."""
    return _edit(data, (b'mdhd', 6, 0x30), (b'stsd', 3, 0x80))


def absurd_frame_count(data: bytes) -> bytes:
    """OpenCV reads 2^31 + 8 frames for an 8 kB file (``stts`` sample count
    high byte set); decord allocates a frame index of that size and aborts
    the process."""
    return _edit(data, (b'stts', 16, 0x80))


def zero_frame_size(data: bytes) -> bytes:
    """OpenCV reads a 0 x 0 frame size (``stsd`` size over-long)."""
    return _edit(data, (b'stsd', 3, 0x80))


DAMAGES = {'negative_frame_count': negative_frame_count,
           'absurd_frame_count': absurd_frame_count,
           'zero_frame_size': zero_frame_size}
