"""Convert the official MAFW single-label splits into
``path num_frames label`` lists.

    python tools/data/mafw.py --root data/mafw [--frames]

reads ``Train & Test Set/single/no_caption/set_{1..5}/{train,test}.txt``
(``00025.mp4 anger``) and writes ``annotations/{train,test}_{k}.txt``
(labels 0-10) under ``--root``, pointing at ``data/clips/00025.mp4`` or,
with ``--frames``, at the frame folders ``data/frames/00025/``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))

from dfertools.datasets.annotations import parse_class_name  # noqa: E402
from dfertools.datasets.classes import MAFW_CLASSES  # noqa: E402
from dfertools.datasets.conversion import (require, to_frame_records,  # noqa
                                           write_frame_list)

LAYOUT = """MAFW/
  data/clips/00025.mp4 ...
  data/frames/00025/00001.png ...      (only with --frames)
  Train & Test Set/single/no_caption/set_1/train.txt   '00025.mp4 anger'
  Train & Test Set/single/no_caption/set_1/test.txt   ... set_5"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--root', required=True, help='MAFW release root')
    p.add_argument('--frames', action='store_true',
                   help='use data/frames/<clip>/ instead of data/clips')
    p.add_argument('--splits', default='Train & Test Set/single/no_caption')
    p.add_argument('--out', default='annotations')
    p.add_argument('--folds', type=int, default=5)
    args = p.parse_args(argv)
    require(args.root, 'MAFW root', LAYOUT)
    sub = 'data/frames' if args.frames else 'data/clips'
    require(osp.join(args.root, sub), f'MAFW {sub}', LAYOUT)
    rel = (lambda p: osp.join(sub, osp.splitext(p)[0])) if args.frames \
        else (lambda p: osp.join(sub, p))
    for k in range(1, args.folds + 1):
        for split in ('train', 'test'):
            lst = require(osp.join(args.root, args.splits, f'set_{k}',
                                   f'{split}.txt'),
                          f'MAFW {split} split {k}', LAYOUT)
            rows = to_frame_records(parse_class_name(lst, MAFW_CLASSES),
                                    args.root, rel)
            write_frame_list(osp.join(args.root, args.out,
                                      f'{split}_{k}.txt'), rows)


if __name__ == '__main__':
    main()
