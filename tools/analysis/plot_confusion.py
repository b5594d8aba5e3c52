"""Confusion matrix of one prediction dump (views merged per video).

    python tools/analysis/plot_confusion.py work_dirs/x/dump.json \
        [--out confusion.png] [--normalize] [--class-names ...]

Cells show the row percentage and the count; ``--normalize`` colours the
cells by row percentage instead of by count.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from dfertools.evaluation.functional import summarize  # noqa: E402
from dfertools.evaluation.predictions import (  # noqa: E402
    load_dump, merge_views)
from dfertools.visualization.confusion import (  # noqa: E402
    plot_confusion_matrix)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('dump', help='JSON dump from DFERMetric / test.py --dump')
    p.add_argument('--out', default=None,
                   help='PNG path (default: DUMP with .png suffix)')
    p.add_argument('--normalize', action='store_true',
                   help='colour cells by row percentage')
    p.add_argument('--class-names', nargs='+', default=None)
    args = p.parse_args(argv)
    dump = load_dump(args.dump)
    names = args.class_names or dump.get('class_names')
    _, probs, labels = merge_views(dump['records'])
    s = summarize(labels, probs.argmax(1), dump['num_classes'], names)
    out = args.out or osp.splitext(args.dump)[0] + '.png'
    plot_confusion_matrix(
        s['confusion_matrix'], s['class_names'], out,
        normalize=args.normalize,
        title=f'UAR {100 * s["UAR"]:.2f}  WAR {100 * s["WAR"]:.2f}  '
              f'({s["num_samples"]} videos)')
    print(f'UAR {100 * s["UAR"]:.2f}  WAR {100 * s["WAR"]:.2f}  -> {out}')
    return out


if __name__ == '__main__':
    main()
