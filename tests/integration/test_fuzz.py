"""Fuzzing (hypothesis, bounded): random bytes and text into the annotation
parsers and random / mutated bytes through the video loader, with both
backends (OpenCV and decord): whole-file mutations, damaged headers (bytes
and 32-bit words overwritten in the first few hundred bytes and in the
``moov`` box, with the header at the end or at the front of the file) and
truncated tails. Each must either load or raise our clear error type —
never an IndexError, UnicodeDecodeError, ValueError, a crash or a hang."""
import atexit
import os
import shutil
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfertools.datasets.annotations import (FORMATS, AnnotationError,
                                            parse_annotation)
from dfertools.datasets.classes import DFEW_CLASSES
from dfertools.datasets.errors import CorruptVideoError
from dfertools.datasets.transforms import (DFERSampleFrames, VideoDecode,
                                           VideoInit)
from tests.fixtures.data_toys import write_video
from tests.fixtures.mp4_damage import boxes, faststart

FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
_DIR = tempfile.mkdtemp(prefix='dfer_fuzz_')   # hypothesis reruns examples:
atexit.register(shutil.rmtree, _DIR, True)      # no function-scoped tmp_path

# tokens that steer the parsers into their deeper branches
_TOKENS = st.sampled_from([
    'a/1.mp4', 'Happy', 'happiness', 'Bored', 'video_name,label', '1,1',
    ',', '0', '7', '-1', '10', '1e3', '١', ' ', '\t', '\n', '\r\n', '\r',
    '#', '"', '\x00', '\ufeff', 'é', '\u2028'])
_TEXT = st.lists(_TOKENS, max_size=30).map(''.join)


def _parse_all(data: bytes):
    path = os.path.join(_DIR, 'ann.txt')
    with open(path, 'wb') as f:
        f.write(data)
    for fmt in ('auto',) + FORMATS:
        for classes in (None, DFEW_CLASSES):
            try:
                recs = parse_annotation(path, fmt, classes)
            except AnnotationError as err:
                assert path in str(err)
                continue
            for rec in recs:
                assert rec.path and rec.line >= 1
                assert rec.label is None or 0 <= rec.label < (
                    len(classes) if classes else float('inf'))


@FUZZ
@given(st.binary(max_size=400))
def test_annotation_parsers_on_random_bytes(data):
    _parse_all(data)


@FUZZ
@given(_TEXT)
def test_annotation_parsers_on_structured_text(text):
    _parse_all(text.encode('utf-8'))


_GOOD = None
BACKENDS = ('cv2', 'decord')


def _good_video(layout='end') -> bytes:
    """A valid 8-frame mp4; ``layout='front'``: its ``moov`` header moved in
    front of the frames."""
    global _GOOD
    if _GOOD is None:
        path = write_video(os.path.join(_DIR, 'good.mp4'), frames=8)
        with open(path, 'rb') as f:
            data = f.read()
        _GOOD = dict(end=data, front=faststart(data))
    return _GOOD[layout]


def _decode(path: str, clip_len: int, interval: int, backend='decord'):
    """Open, sample and decode ``path``; ``None`` when it is refused as a
    ``CorruptVideoError`` (which must name the path)."""
    try:
        res = VideoInit(backend=backend)(dict(filename=path))
        res = DFERSampleFrames(clip_len, interval, test_mode=True)(res)
        return VideoDecode()(res)
    except CorruptVideoError as err:
        assert path in str(err)
        return None


def _load(data: bytes, name='x.mp4'):
    """``data`` as a file through both backends."""
    path = os.path.join(_DIR, name)
    with open(path, 'wb') as f:
        f.write(data)
    for backend in BACKENDS:
        res = _decode(path, 4, 2, backend)
        if res is None:
            continue
        assert len(res['imgs']) == 4
        assert all(img.dtype == np.uint8 and img.ndim == 3 and
                   img.shape[2] == 3 and min(img.shape[:2]) > 0
                   for img in res['imgs'])


@settings(max_examples=120, deadline=None, derandomize=True)
@given(st.binary(max_size=3000))
def test_video_loader_on_random_bytes(data):
    _load(data)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.floats(0, 1, exclude_max=True),
                          st.integers(0, 255)), min_size=1, max_size=40),
       st.floats(0.05, 1.0))
def test_video_loader_on_mutated_mp4(edits, keep):
    data = bytearray(_good_video())
    for where, value in edits:
        data[int(where * len(data))] = value
    _load(bytes(data[:max(1, int(keep * len(data)))]))


# 32-bit words that turn header fields (counts, sizes, durations) into
# extremes: the values that gave negative and 2^31 frame counts
_WORDS = [b'\xff\xff\xff\xff', b'\x80\x00\x00\x00', b'\x00\x00\x00\x00',
          b'\x7f\xff\xff\xff', b'\x00\x00\x00\x01']
_HEADER_EDIT = st.tuples(
    st.sampled_from(['start', 'moov']),           # where
    st.floats(0, 1, exclude_max=True),             # position in that region
    st.one_of(st.integers(0, 255), st.sampled_from(_WORDS)))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from(['end', 'front']),
       st.lists(_HEADER_EDIT, min_size=1, max_size=6),
       st.one_of(st.none(), st.floats(0.3, 1.0, exclude_max=True)))
def test_video_loader_on_damaged_header(layout, edits, keep):
    """Bytes or words overwritten in the first 300 bytes or in the moov
    box, optionally with the tail cut off, through both backends."""
    data = bytearray(_good_video(layout))
    moov_off, moov_size = boxes(bytes(data))[b'moov']
    for region, where, value in edits:
        lo, size = (0, 300) if region == 'start' else (moov_off, moov_size)
        at = lo + int(where * size)
        value = bytes([value]) if isinstance(value, int) else value
        data[at:at + len(value)] = value
    if keep is not None:
        data = data[:max(1, int(keep * len(data)))]
    _load(bytes(data), name=f'hdr_{layout}.mp4')


@pytest.mark.parametrize('layout', ['end', 'front'])
def test_video_loader_on_every_truncated_tail(layout):
    """The file cut after every 1/40 of its bytes, through both backends:
    with the header at the end nothing opens; with it at the front the
    frames past the cut are missing."""
    data = _good_video(layout)
    for k in range(1, 40):
        _load(data[:k * len(data) // 40], name=f'cut_{layout}.mp4')


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.binary(max_size=2000))
def test_frame_folder_with_random_bytes_as_jpg(data):
    folder = os.path.join(_DIR, 'frames')
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, '1.jpg')
    with open(path, 'wb') as f:
        f.write(data)
    res = _decode(folder, 2, 1)
    if res is not None:
        assert res['imgs'][0].shape[2] == 3
