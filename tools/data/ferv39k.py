"""Convert the official FERV39k lists into ``path num_frames label`` lists.

    python tools/data/ferv39k.py --root data/ferv39k \
        --frames 2_ClipsforFaceCrop \
        --train 4_setups/All_scenes/train_All.txt \
        --test 4_setups/All_scenes/test_All.txt

Each input line is ``Scene/Emotion/clip EmotionName``; frame folders live at
``--frames/Scene/Emotion/clip/``. Writes ``annotations/{train,test}.txt``
(labels 0-6 in DFEW order) under ``--root``. Paths in the lists are relative
to ``--root`` (``2_ClipsforFaceCrop/Action/Angry/0001``), which is the
``data_root`` of configs/_base_/datasets/ferv39k.py (``data_prefix`` '').
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))

from dfertools.datasets.annotations import parse_class_name  # noqa: E402
from dfertools.datasets.classes import DFEW_CLASSES  # noqa: E402
from dfertools.datasets.conversion import (require, to_frame_records,  # noqa
                                           write_frame_list)

LAYOUT = """FERV39k/
  2_ClipsforFaceCrop/Action/Angry/0001/00001.jpg ...
  4_setups/All_scenes/train_All.txt   'Scene/Emotion/clip EmotionName'
  4_setups/All_scenes/test_All.txt"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--root', required=True, help='FERV39k release root')
    p.add_argument('--frames', default='2_ClipsforFaceCrop')
    p.add_argument('--train', default='4_setups/All_scenes/train_All.txt')
    p.add_argument('--test', default='4_setups/All_scenes/test_All.txt')
    p.add_argument('--out', default='annotations')
    args = p.parse_args(argv)
    require(args.root, 'FERV39k root', LAYOUT)
    require(osp.join(args.root, args.frames), 'FERV39k frames', LAYOUT)
    for split in ('train', 'test'):
        lst = require(osp.join(args.root, getattr(args, split)),
                      f'FERV39k {split} list', LAYOUT)
        rows = to_frame_records(parse_class_name(lst, DFEW_CLASSES),
                                args.root, lambda p: osp.join(args.frames, p))
        write_frame_list(osp.join(args.root, args.out, f'{split}.txt'), rows)


if __name__ == '__main__':
    main()
