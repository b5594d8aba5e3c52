"""Broken and unusual media, generated on the fly: what fails (with the path
in the error), what is substituted in training, and what must load."""
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from dfertools.datasets import DFERDataset
from dfertools.datasets.errors import CorruptVideoError
from dfertools.datasets.transforms import (DFERSampleFrames, VideoDecode,
                                           VideoInit)
from tests.fixtures.data_toys import (corrupt, train_pipeline, write_frames,
                                      write_video)


def _load(path, clip_len=4):
    res = VideoInit()(dict(filename=str(path)))
    res = DFERSampleFrames(clip_len, 1, test_mode=True)(res)
    return VideoDecode()(res)


def _broken(tmp_path, kind):
    """Each kind of broken media; returns its path."""
    if kind in ('truncate', 'empty', 'random'):
        path = write_video(tmp_path / f'{kind}.mp4', frames=8)
        return corrupt(path, kind)
    folder = tmp_path / kind
    folder.mkdir()
    if kind == 'non_image_file':
        (folder / 'notes.txt').write_text('not a frame')
    elif kind == 'image_named_text':
        (folder / '1.jpg').write_text('not a jpeg either')
    elif kind == 'mixed_sizes':
        cv2.imwrite(str(folder / '1.png'), np.zeros((8, 8, 3), np.uint8))
        cv2.imwrite(str(folder / '2.png'), np.zeros((9, 8, 3), np.uint8))
    return str(folder)   # 'empty_folder': nothing written


BROKEN = ('truncate', 'empty', 'random', 'empty_folder', 'non_image_file',
          'image_named_text', 'mixed_sizes')


@pytest.mark.parametrize('kind', BROKEN)
def test_broken_media_raise_corrupt_video_error_naming_the_path(tmp_path,
                                                                 kind):
    path = _broken(tmp_path, kind)
    with pytest.raises(CorruptVideoError) as info:
        _load(path)
    assert path in str(info.value)


@pytest.mark.parametrize('kind', BROKEN)
def test_training_substitutes_and_test_mode_raises(tmp_path, kind):
    init_default_scope('dfertools')
    path = _broken(tmp_path, kind)
    good = write_video(tmp_path / 'good.mp4', frames=8)
    ann = tmp_path / 'ann.txt'
    ann.write_text(f'{path} 0\n{good} 1\n')
    ds = DFERDataset(str(ann), pipeline=train_pipeline(), max_bad_fraction=1)
    sample = ds[0]
    assert int(sample['data_samples'].gt_label) == 1    # the substitute
    assert tuple(sample['inputs'].shape) == (1, 3, 4, 32, 32)
    assert ds.bad_samples.totals() == (2, 1)
    test_ds = DFERDataset(str(ann), pipeline=train_pipeline(),
                          test_mode=True)
    with pytest.raises(CorruptVideoError, match=os.path.basename(path)):
        test_ds[0]


def _frames_of(tmp_path, kind, n, size, gray):
    if kind == 'mp4':
        return write_video(tmp_path / 'v.mp4', frames=n, size=size,
                           gray=gray)
    return write_frames(str(tmp_path / 'f'), frames=n, size=size, gray=gray)


@pytest.mark.parametrize('kind', ['mp4', 'folder'])
@pytest.mark.parametrize('n, size, gray', [
    (1, (32, 32), False),      # a 1-frame clip: padded with its frame
    (6, (32, 32), True),       # grayscale
    (6, (63, 47), False),      # odd-sized
])
def test_unusual_but_valid_media_load_as_rgb_clips(tmp_path, kind, n, size,
                                                   gray):
    init_default_scope('dfertools')
    path = _frames_of(tmp_path, kind, n, size, gray)
    raw = _load(path, clip_len=4)
    assert raw['total_frames'] == n
    assert len(raw['imgs']) == 4
    assert all(img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8
               for img in raw['imgs'])
    if n == 1:
        np.testing.assert_array_equal(raw['frame_inds'], [0, 0, 0, 0])
        assert all((img == raw['imgs'][0]).all() for img in raw['imgs'])
    ann = os.path.join(str(tmp_path), 'ann.txt')
    with open(ann, 'w') as f:
        f.write(f'{path} 3\n')
    ds = DFERDataset(ann, pipeline=train_pipeline(clip_len=4, size=32))
    out = ds[0]
    assert tuple(out['inputs'].shape) == (1, 3, 4, 32, 32)
    assert ds.bad_samples.totals() == (1, 0)


# --- damaged headers (impossible values) ---------------------------------
_CHILD = r'''
import json, sys
from dfertools.datasets.errors import CorruptVideoError
from dfertools.datasets.transforms import (DFERSampleFrames, VideoDecode,
                                           VideoInit)
out = {}
for path in sys.argv[1:]:
    for backend in ('cv2', 'decord'):
        try:
            res = VideoInit(backend=backend)(dict(filename=path))
            res = DFERSampleFrames(4, 1, test_mode=True)(res)
            VideoDecode()(res)
            out[path + ' ' + backend] = 'loaded'
        except CorruptVideoError as err:
            out[path + ' ' + backend] = 'CorruptVideoError: ' + str(err)
        except Exception as err:
            out[path + ' ' + backend] = type(err).__name__ + ': ' + str(err)
print(json.dumps(out))
'''

# what each damage looks like to OpenCV, as the error must quote it
DAMAGE_VALUES = {'negative_frame_count': 'frame count -2.3',
                 'absurd_frame_count': 'frame count 2.14748e+09',
                 'zero_frame_size': 'frame size 0 x 0'}


@pytest.fixture(scope='module')
def damaged_header_results(tmp_path_factory):
    """Every header damage through both backends, loaded in a child
    process: decord used to abort the whole process (std::bad_alloc) on the
    absurd frame count, which the child turns into a test failure."""
    root = tmp_path_factory.mktemp('headers')
    paths = {kind: corrupt(write_video(root / f'{kind}.mp4', frames=8), kind)
             for kind in DAMAGE_VALUES}
    proc = subprocess.run([sys.executable, '-c', _CHILD, *paths.values()],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert proc.returncode == 0, (
        f'loading damaged headers killed the process (exit '
        f'{proc.returncode}): {proc.stderr[-2000:]}')
    return paths, json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize('backend', ['cv2', 'decord'])
@pytest.mark.parametrize('kind', sorted(DAMAGE_VALUES))
def test_damaged_header_is_corrupt_naming_path_and_value(
        damaged_header_results, kind, backend):
    paths, results = damaged_header_results
    outcome = results[f'{paths[kind]} {backend}']
    assert outcome.startswith('CorruptVideoError: '), outcome
    assert paths[kind] in outcome
    assert DAMAGE_VALUES[kind] in outcome and 'impossible header' in outcome


# --- paths that are not regular files ------------------------------------
@pytest.mark.timeout(60)   # a FIFO used to block FFmpeg's open forever
@pytest.mark.parametrize('backend', ['cv2', 'decord'])
def test_fifo_listed_as_video_is_refused_without_opening_it(tmp_path,
                                                            backend):
    init_default_scope('dfertools')
    fifo = str(tmp_path / 'pipe.mp4')
    os.mkfifo(fifo)
    good = write_video(tmp_path / 'good.mp4', frames=8)
    ann = tmp_path / 'ann.txt'
    ann.write_text(f'{fifo} 0\n{good} 1\n')
    pipeline = train_pipeline(backend=backend)
    # no time limit: the type check alone must refuse it
    ds = DFERDataset(str(ann), pipeline=pipeline, max_bad_fraction=1,
                     decode_timeout=None)
    assert int(ds[0]['data_samples'].gt_label) == 1     # substituted
    assert ds.bad_samples.totals() == (2, 1)
    test_ds = DFERDataset(str(ann), pipeline=pipeline, test_mode=True,
                          decode_timeout=None)
    with pytest.raises(CorruptVideoError) as info:
        test_ds[0]
    assert fifo in str(info.value) and 'FIFO' in str(info.value)


@pytest.mark.timeout(60)
def test_fifo_among_the_frames_of_a_folder_is_refused(tmp_path):
    folder = write_frames(str(tmp_path / 'clip'), frames=3)
    os.mkfifo(os.path.join(folder, '4.jpg'))
    with pytest.raises(CorruptVideoError, match=r'4\.jpg is a FIFO'):
        _load(folder)
