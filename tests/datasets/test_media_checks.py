"""media_checks: impossible header values and non-regular paths are
CorruptVideoError naming the path and the value, for the OpenCV and decord
backends and for frame folders."""
import math
import socket

import pytest

from dfertools.datasets.errors import CorruptVideoError
from dfertools.datasets.media_checks import (VideoHeader, check_header,
                                             media_kind)
from dfertools.datasets.transforms import VideoInit
from dfertools.datasets.transforms import cv2_video, loading
from tests.fixtures.data_toys import write_frames, write_video

GOOD = dict(frames=8.0, fps=25.0, width=32.0, height=32.0)
BAD = [  # (field, value, quoted in the error)
    ('frames', -2.305843009213694e17, 'frame count -2.30584e+17'),
    ('frames', math.nan, 'frame count nan'),
    ('frames', math.inf, 'frame count inf'),
    ('frames', 2.0 ** 31, 'frame count 2.14748e+09 > max_frames=1000000'),
    ('frames', 9000.0, 'frame count 9000 for a file of'),
    ('width', 0.0, 'frame size 0 x 32'),
    ('height', -1.0, 'frame size 32 x -1'),
    ('width', 65535.0, 'frame size 65535 x 32'),
    ('width', math.nan, 'frame size nan x 32'),
    ('fps', 0.0, 'fps 0'),
    ('fps', -25.0, 'fps -25'),
    ('fps', math.nan, 'fps nan'),
    ('fps', math.inf, 'fps inf'),
]


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp('v') / 'v.mp4', frames=8)


@pytest.mark.parametrize('field, value, quoted', BAD)
def test_each_impossible_value_is_refused_naming_it(video, field, value,
                                                    quoted):
    header = dict(GOOD, **{field: value})
    with pytest.raises(CorruptVideoError) as info:
        check_header(video, **header)
    msg = str(info.value)
    assert video in msg and quoted in msg and 'check_dataset.py' in msg


def test_plausible_values_pass_and_zero_frames_means_unknown(video):
    assert check_header(video, **GOOD) == 8
    assert check_header(video, **dict(GOOD, frames=0.0)) == 0
    assert check_header(video, 8.0, 25.0) == 8    # size unknown: not checked
    with pytest.raises(CorruptVideoError, match='raise VideoInit'):
        check_header(video, **GOOD, max_frames=4)


def _fake_header(**changes):
    header = VideoHeader(**dict(GOOD, **changes))
    return lambda *args: header


@pytest.mark.parametrize('field, value, quoted', BAD[:1] + BAD[5:6] +
                         BAD[9:10] + BAD[11:12])
def test_both_backends_refuse_what_opencv_reads(monkeypatch, video, field,
                                                value, quoted):
    """The values as OpenCV's capture reports them: the cv2 reader checks
    them at open, the decord backend before decord sees the file."""
    monkeypatch.setattr(cv2_video, 'header_of',
                        _fake_header(**{field: value}))
    monkeypatch.setattr(loading, 'probe_header',
                        _fake_header(**{field: value}))
    for backend in ('cv2', 'decord'):
        with pytest.raises(CorruptVideoError) as info:
            VideoInit(backend=backend)(dict(filename=video))
        assert video in str(info.value) and quoted in str(info.value)


def test_decords_own_values_are_checked_too(monkeypatch, video):
    """When OpenCV cannot read the header, decord's frame count and fps
    (read after its open) are checked."""
    import decord

    class NanFps:
        def __init__(self, path, **kwargs):
            pass

        def __len__(self):
            return 8

        def get_avg_fps(self):
            return math.nan

    monkeypatch.setattr(loading, 'probe_header', lambda path: None)
    monkeypatch.setattr(decord, 'VideoReader', NanFps)
    with pytest.raises(CorruptVideoError, match=r'fps nan; as read by '
                                                r'decord'):
        VideoInit()(dict(filename=video))


def test_frame_folder_beyond_max_frames(tmp_path):
    folder = write_frames(str(tmp_path / 'f'), frames=5)
    with pytest.raises(CorruptVideoError, match='5 frames > max_frames=4'):
        VideoInit(max_frames=4)(dict(filename=folder))
    assert VideoInit(max_frames=5)(dict(filename=folder))['total_frames'] == 5


def test_only_regular_files_and_folders_are_media(tmp_path, video):
    assert media_kind(video) == 'file'
    assert media_kind(str(tmp_path)) == 'folder'
    sock_path = str(tmp_path / 'clip.mp4')
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(sock_path)
        with pytest.raises(CorruptVideoError, match='clip.mp4 is a socket'):
            media_kind(sock_path)
        with pytest.raises(CorruptVideoError, match='is a socket'):
            VideoInit(backend='cv2')(dict(filename=sock_path))
    with pytest.raises(CorruptVideoError, match='is a character device'):
        media_kind('/dev/null')
