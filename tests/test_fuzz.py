"""Fuzzing (hypothesis, bounded): random bytes and text into the annotation
parsers and random / mutated bytes through the video loader. Each must
either load or raise our clear error type — never an IndexError,
UnicodeDecodeError, a crash or a hang."""
import atexit
import os
import shutil
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfertools.datasets.annotations import (FORMATS, AnnotationError,
                                            parse_annotation)
from dfertools.datasets.classes import DFEW_CLASSES
from dfertools.datasets.errors import CorruptVideoError
from dfertools.datasets.transforms import (DFERSampleFrames, VideoDecode,
                                           VideoInit)
from tests.data_toys import write_video

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


def _good_video() -> bytes:
    global _GOOD
    if _GOOD is None:
        path = write_video(os.path.join(_DIR, 'good.mp4'), frames=8)
        with open(path, 'rb') as f:
            _GOOD = f.read()
    return _GOOD


def _decode(path: str, clip_len: int, interval: int):
    """Open, sample and decode ``path``; ``None`` when it is refused as a
    ``CorruptVideoError`` (which must name the path)."""
    try:
        res = VideoInit()(dict(filename=path))
        res = DFERSampleFrames(clip_len, interval, test_mode=True)(res)
        return VideoDecode()(res)
    except CorruptVideoError as err:
        assert path in str(err)
        return None


def _load(data: bytes, name='x.mp4'):
    path = os.path.join(_DIR, name)
    with open(path, 'wb') as f:
        f.write(data)
    res = _decode(path, 4, 2)
    if res is None:
        return
    assert len(res['imgs']) == 4
    assert all(img.dtype == np.uint8 and img.ndim == 3 for img in res['imgs'])


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
