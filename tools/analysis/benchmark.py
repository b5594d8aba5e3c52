"""Benchmark a config's training step (fine-tuning or masked pretraining),
inference or input pipeline.

    python tools/analysis/benchmark.py --config CFG --mode train \
        --batch 2 --steps 10 --warmup 3 --compare mmaction-vit --json out.json
    python tools/analysis/benchmark.py --config PRETRAIN_CFG --mode pretrain
    python tools/analysis/benchmark.py --config CFG --mode train --compile

Reports the median step time, clips/s, peak memory and FLOPs per clip (and
MFU on CUDA); ``--compare mmaction-vit`` times mmaction2's
VisionTransformer with the same weights alternately with ours, and in
``--mode data`` mmaction2's decord pipeline on the same files. See
dfertools/benchmark/harness.py and docs/benchmarks.md.
"""
import argparse
import json

from mmengine.config import Config

from dfertools.utils.cfg_options import CfgOptionsAction as DictAction
from dfertools.benchmark.harness import (AMP_CHOICES, COMPARE_CHOICES, MODES,
                                       run_benchmark)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', required=True)
    p.add_argument('--mode', choices=MODES,
                   default='train')
    p.add_argument('--batch', type=int, default=None,
                   help='clips per step (default: 2; data mode: the '
                   "config's batch size)")
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--compare', choices=COMPARE_CHOICES, default=None)
    p.add_argument('--device', default=None)
    p.add_argument('--amp', choices=AMP_CHOICES, default='none',
                   help='bf16: forward passes under bf16 autocast (the GPU '
                   'targets are for bf16)')
    p.add_argument('--compile', nargs='?', const='', default=None,
                   metavar='BACKEND', help='torch.compile our model\'s '
                   'forward (and through it the backward) before timing; '
                   'optional backend (default inductor). The first call, '
                   'which compiles, is reported as compile_s')
    p.add_argument('--workers', type=int, default=None,
                   help="data mode: DataLoader workers (default: the "
                   "config's); 0 also gives the pipelines' CPU cost")
    p.add_argument('--repeats', type=int, default=None,
                   help='data mode: R augmented clips per decoded video '
                   '(RepeatAugment, repeated sampling for pretraining)')
    p.add_argument('--json', default=None, help='write the result here')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def _summary(r: dict) -> str:
    compiled = r.get('compile')
    lines = [f"mode={r['mode']} amp={r['amp']} device={r['device']} "
             + (f"compile={compiled or 'inductor'} "
                f"({r['compile_s']:.1f} s to compile) "
                if compiled is not None else '') +
             f"torch={r['torch']} "
             f"threads={r['threads']}"]
    if r['mode'] == 'data':
        lines.append(f"ours: {r['ours']['clips_per_s']:.2f} clips/s "
                     f"(median batch {r['ours']['median_s'] * 1e3:.1f} ms), "
                     f"{r['ours']['total_cpu_ms_per_clip']:.2f} CPU ms/clip")
        if 'theirs' in r:
            lines.append(f"mmaction2: {r['theirs']['clips_per_s']:.2f} "
                         f"clips/s, {r['theirs']['total_cpu_ms_per_clip']:.2f}"
                         f" CPU ms/clip; ratio ours/theirs = "
                         f"{r['speed_ratio']:.2f}x (by CPU time: "
                         f"{r['speed_ratio_cpu']:.2f}x)")
        return '\n'.join(lines)
    lines.append(
        f"batch={r['batch']} clip={r['clip_shape']} params={r['params']} "
        f"GFLOPs/clip={r['flops_per_clip'] / 1e9:.2f}")
    lines.append(f"median step {r['median_step_s'] * 1e3:.1f} ms, "
                 f"{r['clips_per_s']:.2f} clips/s, peak mem "
                 f"+{r['peak_mem_mib']:.0f} MiB")
    if 'mfu' in r:
        lines.append(f"MFU {r['mfu'] * 100:.1f}% of bf16 matmul peak "
                     f"{r['bf16_peak_tflops']:.0f} TFLOP/s")
    c = r.get('compare')
    if c:
        lines.append(
            f"vs mmaction2 VisionTransformer (same weights, max |diff| "
            f"{c['max_abs_diff']:.2e}): ours {c['ours']['median_s'] * 1e3:.1f}"
            f" ms, theirs {c['theirs']['median_s'] * 1e3:.1f} ms, speed "
            f"ratio ours/theirs = {c['speed_ratio']:.2f}x (CPU time: ours "
            f"{c['ours']['median_cpu_s'] * 1e3:.1f} ms, theirs "
            f"{c['theirs']['median_cpu_s'] * 1e3:.1f} ms, "
            f"{c['speed_ratio_cpu']:.2f}x); our AdamW {c['ours_adamw']}")
    return '\n'.join(lines)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    batch = args.batch if args.batch or args.mode == 'data' else 2
    result = run_benchmark(cfg, args.mode, batch=batch, steps=args.steps,
                           warmup=args.warmup, compare=args.compare,
                           device=args.device, num_workers=args.workers,
                           num_repeats=args.repeats, amp=args.amp,
                           compile_backend=args.compile)
    print(_summary(result))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
