"""One step of tools/analysis/gpu_check.sh, written as JSON.

    python tools/analysis/gpu_check_step.py STEP --json OUT [--device cuda]
        [--tiny] [--work-dir DIR] [--data-root DIR] [--workers N]
    python tools/analysis/gpu_check_step.py summarize --out-dir DIR

STEP: environment, finetune, pretrain, ddp, datawait (needs --work-dir of a
finished tools/train.py run), loader (needs --data-root). ``--device cpu
--tiny`` runs a step on CPU with tiny models (the tests' smoke runs). See
dfertools/benchmark/gpu_check.py and docs/benchmarks.md ("GPU").
"""
import argparse
import json

import dfertools  # noqa: F401  (compat shims before mmaction)
from dfertools.benchmark import gpu_check
from dfertools.cli.tool_errors import run_main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('step', choices=gpu_check.STEPS + ('environment',
                                                      'summarize'))
    p.add_argument('--json', help='write the step\'s result here')
    p.add_argument('--out-dir', help='summarize: the folder of step JSONs')
    p.add_argument('--device', default='cuda')
    p.add_argument('--tiny', action='store_true',
                   help='tiny models, few steps (CPU smoke run)')
    p.add_argument('--work-dir', help='datawait: a tools/train.py work dir')
    p.add_argument('--data-root', help='loader: a SynthDFER folder')
    p.add_argument('--workers', type=int, default=16)
    args = p.parse_args(argv)
    if args.step == 'summarize' and not args.out_dir:
        p.error('summarize needs --out-dir')
    if args.step == 'datawait' and not args.work_dir:
        p.error('datawait needs --work-dir')
    if args.step == 'loader' and not args.data_root:
        p.error('loader needs --data-root')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.step == 'summarize':
        gpu_check.summarize(args.out_dir)
        print(f'wrote {args.out_dir}/gpu_check.json and gpu_check.md')
        return
    result = gpu_check.run_step(args.step, args.device, args.tiny,
                                args.work_dir, args.data_root, args.workers)
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, 'w') as f:
            f.write(text)
    print(text[:2000])


if __name__ == '__main__':
    run_main(main)
