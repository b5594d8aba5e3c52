"""Find every unreadable video of an annotation list before training.

    python tools/data/check_dataset.py data/dfew/annotations/train_1.txt \\
        --data-root data/dfew --workers 8 --out bad_videos.txt

Parses the list exactly as training does (``DFERDataset``: same formats,
same error messages for a malformed list) and, in parallel worker processes
with a progress bar, opens every video and decodes the frames that the
configured clip would sample at ``--views`` evenly spaced positions (start
... end, so a truncated tail is caught), through the dataset's own
``VideoInit`` -> ``DFERSampleFrames`` -> ``VideoDecode`` pipeline
(dfertools/datasets/video_check.py). A path that is not a regular file or
folder (a FIFO) and a damaged header are reported like any unreadable
video; a clip that takes longer than ``--decode-timeout`` seconds to load is
reported as timed out; a video that kills its worker process (a decoder
crash) is reported with the signal, and the scan goes on.

Writes ``path<TAB>reason (annotation line N)`` per bad video to ``--out``
(the format of ``<work_dir>/bad_samples.txt``) and exits with 1 if any
video is bad, 2 if the annotation itself is invalid, 0 otherwise.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))

from dfertools.utils.progress import progress_bar  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('annotation', help='annotation file (any DFER format)')
    p.add_argument('--data-root', default='',
                   help='folder the annotated paths are relative to')
    p.add_argument('--data-prefix', default='',
                   help='sub-folder of --data-root holding the videos')
    p.add_argument('--format', default='auto', help="ann_format or 'auto'")
    p.add_argument('--dataset-name', default=None,
                   help='class list for label checks (dfew, ferv39k, mafw, '
                        '...); needed for class-name labels')
    p.add_argument('--clip-len', type=int, default=16)
    p.add_argument('--frame-interval', type=int, default=4)
    p.add_argument('--views', type=int, default=3,
                   help='clip positions decoded per video (start ... end)')
    p.add_argument('--workers', type=int, default=os.cpu_count() or 1)
    p.add_argument('--decode-timeout', type=float, default=60.0,
                   help='seconds one clip may take to load before the video '
                        'counts as unreadable (a hung read); 0 disables')
    p.add_argument('--out', default='bad_videos.txt',
                   help='where the bad paths and reasons are written')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from dfertools.datasets.annotations import AnnotationError
    from dfertools.datasets.video_check import (build_check_dataset,
                                                check_videos)
    opts = {k: getattr(args, k) for k in (
        'annotation', 'data_root', 'data_prefix', 'format', 'dataset_name',
        'clip_len', 'frame_interval', 'views', 'decode_timeout')}
    try:
        dataset = build_check_dataset(opts)
    except (AnnotationError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    num_videos = len(dataset) // dataset.num_views
    print(f'Checking {num_videos} videos of {args.annotation} '
          f'({args.views} clips of {args.clip_len} frames, stride '
          f'{args.frame_interval}) with {args.workers} workers')
    bar = progress_bar(num_videos, file=sys.stdout)   # shows an ETA
    results = []
    for res in check_videos(opts, dataset, args.workers):
        results.append(res)
        bar.update()
    bad = sorted((r for r in results if r[2] is not None),
                 key=lambda r: r[0])
    with open(args.out, 'w', encoding='utf-8') as f:
        for _, path, reason in bad:
            f.write(f'{path}\t{reason}\n')
    print(f'\n{len(bad)} of {num_videos} videos unreadable; '
          f'list written to {args.out}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
