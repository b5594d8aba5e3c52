"""Compare runs side by side: UAR / WAR / F1 of one JSON dump per run.

    python tools/analysis/compare_runs.py pretrained=A/dump.json scratch=B/dump.json

Each dump is the per-view record file written by ``tools/test.py --dump``;
views are merged per video exactly as ``DFERMetric`` does.
"""
import argparse

from dfertools.evaluation.fold_report import fold_report


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('runs', nargs='+', metavar='NAME=DUMP',
                   help='a name and the JSON dump of that run')
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    results = {}
    for item in args.runs:
        name, sep, path = item.partition('=')
        if not sep or not path:
            raise SystemExit(f'expected NAME=DUMP, got {item!r}')
        results[name] = fold_report([path])['pooled']
    width = max(len(n) for n in results) + 2
    print(f'{"run":<{width}}{"UAR":>8}{"WAR":>8}{"macro F1":>10}{"videos":>8}')
    for name, r in results.items():
        print(f'{name:<{width}}{100 * r["UAR"]:8.2f}{100 * r["WAR"]:8.2f}'
              f'{100 * r["macro_F1"]:10.2f}{r["num_samples"]:8d}')
    return results


if __name__ == '__main__':
    main()
