"""VideoInit(backend='cv2'): the OpenCV reader returns decord's pixels for
any sampled indices (no seek, seek, backwards, resized), falls back to decord
when the container over-counts frames, and names the file when it cannot
open it."""
import cv2
import decord
import numpy as np
import pytest

from dfertools.datasets.errors import CorruptVideoError
from dfertools.datasets.synthetic_writer import write_video
from dfertools.datasets.transforms import VideoDecode, VideoInit
from dfertools.datasets.transforms.cv2_video import Cv2VideoReader

N = 40


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (64, 64, 3)).astype(np.float32)
    frames = [np.clip(base + 6 * i, 0, 255).astype(np.uint8)
              for i in range(N)]  # distinct frames, codec-friendly
    path = str(tmp_path_factory.mktemp('v') / 'clip.mp4')
    write_video(path, frames)
    return path


def decord_frames(path, inds, size=None):
    kw = dict(width=size[0], height=size[1]) if size else {}
    return decord.VideoReader(path, num_threads=1, **kw).get_batch(
        list(inds)).asnumpy()


@pytest.mark.parametrize('inds', [[0, 2, 4, 6], [5, 6, 7], [30, 33, 39],
                                  [0, 39]])
@pytest.mark.parametrize('seek_threshold', [1, 48])
def test_same_pixels_as_decord(video, inds, seek_threshold):
    reader = Cv2VideoReader(video, seek_threshold=seek_threshold)
    assert len(reader) == len(decord.VideoReader(video)) == N
    np.testing.assert_array_equal(reader.get_batch(inds),
                                  decord_frames(video, inds))


def test_consecutive_calls_and_backward_seek(video):
    reader = Cv2VideoReader(video)
    for inds in ([10, 12], [20, 25], [3, 4]):  # forward, forward, backward
        np.testing.assert_array_equal(reader.get_batch(inds),
                                      decord_frames(video, inds))


def test_bad_indices_and_backend(video):
    reader = Cv2VideoReader(video)
    with pytest.raises(ValueError, match='sorted'):
        reader.get_batch([4, 2])
    with pytest.raises(ValueError, match='backend'):
        VideoInit(backend='pyav')


def test_overcounted_frames_fall_back_to_decord(video):
    reader = Cv2VideoReader(video)
    reader._len = N + 10  # a container whose header over-counts
    out = reader.get_batch([N - 2, N + 5])
    np.testing.assert_array_equal(out, decord_frames(video, [N - 2, N - 1]))


def test_unreadable_file_names_it(tmp_path):
    bad = tmp_path / 'broken.mp4'
    bad.write_bytes(b'not a video at all' * 10)
    with pytest.raises(CorruptVideoError, match='broken.mp4'):
        VideoInit(backend='cv2')(dict(filename=str(bad)))


def test_pipeline_cv2_equals_decord_with_decode_size(video):
    out = {}
    for backend in ('cv2', 'decord'):
        r = VideoInit(backend=backend)(dict(filename=video))
        r['frame_inds'] = np.array([1, 3, 3, 8])  # repeats are kept
        out[backend] = VideoDecode()(r)
        assert r['total_frames'] == N
    for a, b in zip(out['cv2']['imgs'], out['decord']['imgs']):
        np.testing.assert_array_equal(a, b)
    r = VideoInit(decode_size=(32, 32), backend='cv2')(dict(filename=video))
    r['frame_inds'] = np.array([0, 5])
    imgs = VideoDecode()(r)['imgs']
    assert imgs[0].shape == (32, 32, 3) and imgs[0].dtype == np.uint8
    # the full decoded frame, area-averaged to (32, 32)
    ref = [cv2.resize(f, (32, 32), interpolation=cv2.INTER_AREA)
           for f in decord_frames(video, [0, 5])]
    np.testing.assert_array_equal(np.stack(imgs), np.stack(ref))
