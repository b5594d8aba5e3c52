"""Convert the official DFEW release into ``path num_frames label`` lists.

    python tools/data/dfew.py --root data/dfew

reads ``EmoLabel_DataSplit/{train,test}(single-labeled)/set_{1..5}.csv``
(labels 1-7), counts the frames of ``Clip/clip_224x224/<name>/`` and writes
``annotations/{train,test}_{k}.txt`` (labels 0-6) under ``--root``. Paths in
the lists are relative to ``--root`` (``Clip/clip_224x224/00001``), which is
the ``data_root`` of configs/_base_/datasets/dfew.py (``data_prefix`` '').
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))

from dfertools.datasets.annotations import parse_dfew_csv  # noqa: E402
from dfertools.datasets.conversion import (require, to_frame_records,  # noqa
                                           write_frame_list)

LAYOUT = """DFEW/
  Clip/clip_224x224/00001/00001.jpg ...
  EmoLabel_DataSplit/train(single-labeled)/set_1.csv ... set_5.csv
  EmoLabel_DataSplit/test(single-labeled)/set_1.csv ... set_5.csv"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--root', required=True, help='DFEW release root')
    p.add_argument('--frames', default='Clip/clip_224x224',
                   help='frame folders (or videos), relative to --root')
    p.add_argument('--out', default='annotations',
                   help='output folder, relative to --root')
    p.add_argument('--folds', type=int, default=5)
    args = p.parse_args(argv)
    require(args.root, 'DFEW root', LAYOUT)
    require(osp.join(args.root, args.frames), 'DFEW frames', LAYOUT)
    for k in range(1, args.folds + 1):
        for split in ('train', 'test'):
            csv = require(osp.join(args.root, 'EmoLabel_DataSplit',
                                   f'{split}(single-labeled)', f'set_{k}.csv'),
                          f'DFEW {split} split {k}', LAYOUT)
            rows = to_frame_records(parse_dfew_csv(csv), args.root,
                                    lambda p: osp.join(args.frames, p))
            write_frame_list(osp.join(args.root, args.out,
                                      f'{split}_{k}.txt'), rows)


if __name__ == '__main__':
    main()
