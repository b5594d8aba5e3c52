"""tools/data converters on tiny fake official layouts."""
import os

import cv2
import numpy as np
import pytest

from dfertools.datasets.annotations import parse_annotation
from tests.fixtures.cli import data_tool


def _frames(folder, n):
    os.makedirs(folder)
    for i in range(1, n + 1):
        cv2.imwrite(os.path.join(folder, f'{i:05d}.jpg'),
                    np.zeros((8, 8, 3), np.uint8))


def test_dfew_converter(tmp_path):
    root = tmp_path / 'dfew'
    for name, n in (('00001', 3), ('00002', 5)):
        _frames(str(root / 'Clip/clip_224x224' / name), n)
    for split in ('train', 'test'):
        d = root / 'EmoLabel_DataSplit' / f'{split}(single-labeled)'
        d.mkdir(parents=True)
        (d / 'set_1.csv').write_text('video_name,label\n1,1\n2,7\n')
    data_tool('dfew').main(['--root', str(root), '--folds', '1'])
    recs = parse_annotation(str(root / 'annotations/train_1.txt'))
    assert [(r.path, r.num_frames, r.label) for r in recs] == [
        ('Clip/clip_224x224/00001', 3, 0), ('Clip/clip_224x224/00002', 5, 6)]
    with pytest.raises(FileNotFoundError, match=r'set_2.csv[\s\S]*layout'):
        data_tool('dfew').main(['--root', str(root), '--folds', '2'])


def test_mafw_converter_frames_and_missing_clip(tmp_path):
    root = tmp_path / 'mafw'
    _frames(str(root / 'data/frames/00025'), 4)
    d = root / 'Train & Test Set/single/no_caption/set_1'
    d.mkdir(parents=True)
    (d / 'train.txt').write_text('00025.mp4 anger\n')
    (d / 'test.txt').write_text('00025.mp4 disappointment\n')
    data_tool('mafw').main(['--root', str(root), '--frames', '--folds', '1'])
    recs = parse_annotation(str(root / 'annotations/test_1.txt'))
    assert [(r.path, r.num_frames, r.label) for r in recs] == [
        ('data/frames/00025', 4, 10)]
    (d / 'test.txt').write_text('00099.mp4 anger\n')
    with pytest.raises(FileNotFoundError, match='line 1.*00099'):
        data_tool('mafw').main(['--root', str(root), '--frames', '--folds',
                                '1'])
