"""List the VoxCeleb2 dev face tracks for pretraining.

    python tools/data/voxceleb2.py --root data/voxceleb2

writes ``annotations/vox2_dev.txt`` with one ``path`` per line, relative to
``--root`` (``dev/mp4/id00012/21Uxsk56VDQ/00001.mp4``), which is the
``data_root`` of configs/_base_/datasets/voxceleb2.py (``data_prefix`` ''),
sorted for reproducibility.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))

from dfertools.datasets.conversion import require  # noqa: E402

LAYOUT = """voxceleb2/
  dev/mp4/id00012/21Uxsk56VDQ/00001.mp4 ...   224x224 face tracks"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--root', required=True)
    p.add_argument('--videos', default='dev/mp4')
    p.add_argument('--out', default='annotations/vox2_dev.txt')
    args = p.parse_args(argv)
    videos = require(osp.join(args.root, args.videos), 'VoxCeleb2 videos',
                     LAYOUT)
    paths = sorted(
        osp.relpath(osp.join(d, f), args.root)
        for d, _, files in os.walk(videos) for f in files
        if f.lower().endswith('.mp4'))
    if not paths:
        raise FileNotFoundError(f'No .mp4 under {videos}. Expected:\n{LAYOUT}')
    out = osp.join(args.root, args.out)
    os.makedirs(osp.dirname(out), exist_ok=True)
    with open(out, 'w', encoding='utf-8', newline='\n') as f:
        f.write(''.join(p + '\n' for p in paths))
    print(f'wrote {len(paths)} entries to {out}')


if __name__ == '__main__':
    main()
