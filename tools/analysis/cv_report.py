"""k-fold report: per-fold UAR/WAR, mean ± std, pooled; confusion PNG + JSON.

    python tools/analysis/cv_report.py work_dirs/x/fold_{1..5}/dump.json \
        --out work_dirs/x/cv [--class-names Happy Sad ...]

Dumps are the JSON files written by ``DFERMetric(dump_path=...)`` (what
``tools/test.py --dump FILE`` produces). The std over folds is the sample
std (ddof=1); see dfertools/evaluation/fold_report.py.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from dfertools.evaluation.fold_report import (  # noqa: E402
    fold_report, format_table)
from dfertools.evaluation.predictions import write_json_atomic  # noqa: E402
from dfertools.visualization.confusion import (  # noqa: E402
    plot_confusion_matrix)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('dumps', nargs='+', help='one JSON dump per fold')
    p.add_argument('--out', default=None,
                   help='output folder for cv_summary.json and '
                        'confusion_pooled.png (default: next to the first '
                        'dump, in cv_report/)')
    p.add_argument('--class-names', nargs='+', default=None,
                   help='class names in label order (default: from dumps)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    report = fold_report(args.dumps, args.class_names)
    print(format_table(report))
    out = args.out or osp.join(osp.dirname(osp.abspath(args.dumps[0])),
                               'cv_report')
    os.makedirs(out, exist_ok=True)
    json_path = osp.join(out, 'cv_summary.json')
    png_path = osp.join(out, 'confusion_pooled.png')
    write_json_atomic(report, json_path)
    p = report['pooled']
    plot_confusion_matrix(
        p['confusion_matrix'], report['class_names'], png_path,
        title=f'{len(report["folds"])} folds pooled: UAR {100 * p["UAR"]:.2f}'
              f'  WAR {100 * p["WAR"]:.2f}')
    print(f'wrote {json_path} and {png_path}')
    return report


if __name__ == '__main__':
    main()
