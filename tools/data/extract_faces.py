"""Crop one face track out of every clip of a folder (or list) of videos.

    python tools/data/extract_faces.py SRC --out OUT [--format mp4|frames]
        [--size 224] [--margin 0.25] [--sigma 2] [--workers 2]
        [--detector HaarFaceDetector] [--detector-arg KEY=VALUE ...]
        [--align] [--detect-every 1] [--no-resume]

SRC is a video file, a frame folder, a folder searched recursively for
videos and frame folders, or a .txt list of clips. Writes OUT/<name>.mp4
(or OUT/<name>/00001.jpg ...), OUT/manifest.csv and OUT/failures.csv; a
rerun skips finished clips. Exit status 0 when every clip has a face crop,
2 when some failed (listed in failures.csv). See docs/data_preparation.md.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from dfertools.datasets.faces.cli_args import (add_face_args,  # noqa: E402
                                               cropper_cfg)
from dfertools.datasets.faces.extraction import extract_faces  # noqa: E402
from dfertools.cli.tool_errors import run_main  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('src')
    p.add_argument('--out', required=True)
    p.add_argument('--format', choices=('mp4', 'frames'), default='mp4')
    p.add_argument('--size', type=int, default=224)
    p.add_argument('--workers', type=int, default=1)
    p.add_argument('--no-resume', action='store_true',
                   help='redo clips that are already finished')
    add_face_args(p)
    args = p.parse_args(argv)
    res = extract_faces(args.src, args.out, cropper_cfg(args, args.size),
                        fmt=args.format, workers=args.workers,
                        resume=not args.no_resume,
                        log=lambda s: print(s, flush=True))
    return 2 if res['failed'] else 0


if __name__ == '__main__':
    sys.exit(run_main(main))
