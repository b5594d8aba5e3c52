"""Generate SynthDFER, the synthetic stand-in for DFEW (not a real dataset).

    python tools/data/make_synthetic.py --out data/synth_dfer

writes mp4 clips plus 5-fold annotation files; see docs/data_preparation.md.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))

from dfertools.datasets.synthetic_writer import generate  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', required=True, help='output directory')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--num-labeled', type=int, default=700)
    p.add_argument('--num-unlabeled', type=int, default=1000,
                   help='size of the unlabeled pool (other identities than '
                   'the labeled clips, like VoxCeleb2 for DFEW)')
    p.add_argument('--unlabeled-expression-prob', type=float, default=1.0,
                   help='fraction of unlabeled clips that show an '
                   'expression (class drawn like the labeled mix, label '
                   'withheld)')
    p.add_argument('--unlabeled-talk-prob', type=float, default=0.5,
                   help='fraction of unlabeled clips that also talk')
    p.add_argument('--size', type=int, default=112,
                   help='frame height and width in pixels')
    p.add_argument('--frames', type=int, nargs=2, default=(16, 32),
                   metavar=('MIN', 'MAX'), help='clip length range')
    p.add_argument('--folds', type=int, default=5)
    p.add_argument('--workers', type=int, default=2)
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    meta = generate(args.out, seed=args.seed, num_labeled=args.num_labeled,
                    num_unlabeled=args.num_unlabeled, size=args.size,
                    frames=tuple(args.frames), num_folds=args.folds,
                    workers=args.workers, progress=not args.no_progress,
                    unlabeled_expression_prob=args.unlabeled_expression_prob,
                    unlabeled_talk_prob=args.unlabeled_talk_prob)
    elapsed = time.perf_counter() - start
    print(f'\nSynthDFER written to {args.out} in {elapsed:.1f} s: '
          f'{meta["num_labeled"]} labeled, {meta["num_unlabeled"]} '
          f'unlabeled clips; class counts {meta["class_counts"]}')


if __name__ == '__main__':
    main()
