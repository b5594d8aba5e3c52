"""Mean ± sample std of the demo's figures over several work dirs.

    python tools/analysis/demo_summary.py WORK_DIR [WORK_DIR ...] [--json F]

Each WORK_DIR is one run of ``tools/demo.sh`` (e.g. one per seed:
``SEED=1 bash tools/demo.sh work_dirs/seeds/s1``). Prints a markdown table:
every result row (UAR, WAR) and every target's measured value as
mean ± sample standard deviation over the runs, and in how many runs each
target was met — the table docs/demo.md records.
"""
import argparse
import json
import sys

import dfertools  # noqa: F401  (compat shims before mmaction)
from dfertools.evaluation.predictions import write_json_atomic
from dfertools.cli.tool_errors import run_main
from dfertools.visualization.demo_report import (format_summary,
                                                 summarize_runs)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('work_dirs', nargs='+')
    p.add_argument('--json', help='also write the summary to this file')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    summary = summarize_runs(args.work_dirs)
    print(format_summary(summary))
    if args.json:
        write_json_atomic(summary, args.json)
        print(f'summary written to {args.json}')
    return 0


if __name__ == '__main__':
    sys.exit(run_main(main))
