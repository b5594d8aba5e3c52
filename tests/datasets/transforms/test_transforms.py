"""Loading, sampling and cropping transforms (and mmaction's clip-consistent
augmentations as used in our pipelines)."""
import cv2
import numpy as np
import pytest

from dfertools.datasets.errors import CorruptVideoError
from dfertools.datasets.transforms import (DFERSampleFrames, VideoDecode,
                                           VideoInit, VoxCeleb2Crop)
from dfertools.datasets.transforms.loading import numeric_sort_key


def _frame_folder(tmp_path, n, size=8):
    folder = tmp_path / 'clip'
    folder.mkdir()
    for i in range(1, n + 1):   # frame i has value 10 * i (BGR)
        cv2.imwrite(str(folder / f'{i}.png'),
                    np.full((size, size, 3), 10 * i, np.uint8))
    return str(folder)


def test_numeric_frame_order(tmp_path):
    folder = _frame_folder(tmp_path, 12)
    res = VideoInit()(dict(filename=folder))
    names = [p.rsplit('/', 1)[1] for p in res['frame_paths']]
    assert names == [f'{i}.png' for i in range(1, 13)]   # 10 after 9
    assert res['total_frames'] == 12
    assert sorted(['f10', 'f9', 'f1'], key=numeric_sort_key) == \
        ['f1', 'f9', 'f10']
    res['frame_inds'] = np.array([8, 9, 9])
    res = VideoDecode()(res)
    assert [int(img[0, 0, 0]) for img in res['imgs']] == [90, 100, 100]
    assert res['imgs'][0].dtype == np.uint8 and res['img_shape'] == (8, 8)


def test_decode_size_for_frames(tmp_path):
    folder = _frame_folder(tmp_path, 3, size=16)
    res = VideoInit()(dict(filename=folder))
    res['frame_inds'] = np.array([0])
    assert VideoDecode(decode_size=(8, 4))(res)['img_shape'] == (4, 8)


def test_missing_and_empty_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.*data_preparation'):
        VideoInit()(dict(filename=str(tmp_path / 'nothing')))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(CorruptVideoError, match='empty'):
        VideoInit()(dict(filename=str(tmp_path / 'empty')))


def test_training_window_is_random_and_in_range():
    sampler = DFERSampleFrames(clip_len=4, frame_interval=2)
    np.random.seed(0)
    starts = set()
    for _ in range(50):
        inds = sampler(dict(total_frames=20))['frame_inds']
        assert inds.dtype == np.int64 and inds.shape == (4,)
        np.testing.assert_array_equal(np.diff(inds), 2)
        assert inds[0] >= 0 and inds[-1] <= 19
        starts.add(int(inds[0]))
    assert starts == set(range(0, 14))   # max start 20 - 7 = 13


def test_short_clip_padded_with_last_frame():
    res = DFERSampleFrames(clip_len=6, frame_interval=2)(dict(total_frames=5))
    np.testing.assert_array_equal(res['frame_inds'], [0, 2, 4, 4, 4, 4])
    res = DFERSampleFrames(4, 1, test_mode=True, num_views=2)(
        dict(total_frames=2, view_id=1))
    np.testing.assert_array_equal(res['frame_inds'], [0, 1, 1, 1])


def test_two_views_are_start_and_end():
    sampler = DFERSampleFrames(clip_len=4, frame_interval=3, test_mode=True,
                               num_views=2)
    first = sampler(dict(total_frames=30, view_id=0))['frame_inds']
    last = sampler(dict(total_frames=30, view_id=1))['frame_inds']
    np.testing.assert_array_equal(first, [0, 3, 6, 9])
    np.testing.assert_array_equal(last, [20, 23, 26, 29])
    three = [DFERSampleFrames(4, 3, True, 3)(
        dict(total_frames=30, view_id=v))['frame_inds'][0] for v in range(3)]
    assert three == [0, 10, 20]
    assert DFERSampleFrames(4, 3, True, 1)(
        dict(total_frames=30))['frame_inds'][0] == 10   # centred
    with pytest.raises(ValueError, match='num_views'):
        sampler(dict(total_frames=30, view_id=2))


def test_voxceleb2_crop_coordinates():
    img = np.arange(224 * 224 * 3, dtype=np.int64).reshape(224, 224, 3)
    img = (img % 251).astype(np.uint8)
    res = VoxCeleb2Crop()(dict(imgs=[img, img.copy()]))
    assert res['img_shape'] == (160, 160)
    for out in res['imgs']:
        np.testing.assert_array_equal(out, img[0:160, 32:192])
    with pytest.raises(ValueError, match='224, 224'):
        VoxCeleb2Crop()(dict(imgs=[np.zeros((160, 160, 3), np.uint8)],
                             filename='v.mp4'))


@pytest.mark.parametrize('ratio', [0.3, 0.7])
def test_mmaction_flip_frequency_follows_flip_ratio(ratio):
    """mmaction2's Flip (in the SynthDFER-shaped pipelines) flips with
    probability flip_ratio: 3000 clips, one per numpy seed, within 5
    binomial SDs; a flipped frame is the mirror image."""
    from mmaction.datasets.transforms import Flip
    frame = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    flip, n, flips = Flip(flip_ratio=ratio), 3000, 0
    state = np.random.get_state()
    try:
        for seed in range(n):
            np.random.seed(seed)
            res = flip(dict(imgs=[frame.copy()], img_shape=(2, 3),
                            modality='RGB'))
            flips += res['flip']
            expected = frame[:, ::-1] if res['flip'] else frame
            np.testing.assert_array_equal(res['imgs'][0], expected)
    finally:
        np.random.set_state(state)
    assert abs(flips - n * ratio) <= 5 * (n * ratio * (1 - ratio)) ** 0.5, \
        (flips / n, ratio)


@pytest.mark.parametrize('seed', range(3))
def test_mmaction_augmentations_are_clip_consistent(seed):
    """RandomResizedCrop and Flip apply one box / one flip to all frames."""
    from mmaction.datasets.transforms import Flip, RandomResizedCrop
    np.random.seed(seed)
    base = np.random.randint(0, 200, (40, 48, 3)).astype(np.uint8)
    imgs = [base + t for t in range(5)]          # frame t = base + t
    res = dict(imgs=imgs, img_shape=(40, 48), modality='RGB')
    res = RandomResizedCrop()(res)
    res = Flip(flip_ratio=0.5)(res)
    out = [img.astype(np.int16) for img in res['imgs']]
    for t in range(5):
        np.testing.assert_array_equal(out[t] - out[0], t)
    assert all(img.dtype == np.uint8 for img in res['imgs'])


def test_video_init_cache_decodes_each_file_once(tmp_path, monkeypatch):
    """VideoInit(cache_mb=...) decodes a file once and then serves the same
    frames; a rewritten file is decoded again."""
    import cv2
    import numpy as np

    from dfertools.datasets.transforms import clip_cache
    from dfertools.datasets.transforms.cv2_video import Cv2VideoReader
    from dfertools.datasets.transforms.loading import VideoDecode, VideoInit
    path = str(tmp_path / 'c.mp4')

    def write(level):
        w = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25,
                            (32, 32))
        for i in range(10):
            w.write(np.full((32, 32, 3), level + 10 * i, np.uint8))
        w.release()

    write(0)
    clip_cache.CLIP_CACHE.clear()
    opened = []
    real_init = Cv2VideoReader.__init__

    def counting(self, *a, **k):
        opened.append(1)
        real_init(self, *a, **k)

    monkeypatch.setattr(Cv2VideoReader, '__init__', counting)
    init, dec = VideoInit(backend='cv2', cache_mb=10), VideoDecode()
    plain = VideoInit(backend='cv2')
    got = []
    for _ in range(3):
        r = dec(dict(init(dict(filename=path)), frame_inds=[1, 5, 5]))
        got.append(np.stack(r['imgs']))
    assert len(opened) == 1 and clip_cache.CLIP_CACHE.nbytes > 0
    ref = dec(dict(plain(dict(filename=path)), frame_inds=[1, 5, 5]))
    for g in got:
        np.testing.assert_array_equal(g, np.stack(ref['imgs']))
    import os
    import time
    time.sleep(0.01)
    write(100)
    os.utime(path)
    r = dec(dict(init(dict(filename=path)), frame_inds=[0]))
    assert r['imgs'][0].mean() > 80   # the new content, not the cache
    clip_cache.CLIP_CACHE.clear()


def test_clip_cache_is_bounded():
    import numpy as np

    from dfertools.datasets.transforms.clip_cache import ClipCache
    cache = ClipCache()
    a = np.zeros(1000, np.uint8)
    for i in range(5):
        cache.put(('k', i), a, max_bytes=2500)
    assert cache.nbytes == 2000
    assert cache.get(('k', 0)) is None and cache.get(('k', 4)) is not None
    cache.put(('big',), np.zeros(5000, np.uint8), max_bytes=2500)
    assert cache.get(('big',)) is None
