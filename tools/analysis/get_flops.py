"""Parameters and FLOPs (multiply-adds, the papers' convention) of a model.

    python tools/analysis/get_flops.py CONFIG [--shape T H W] [--json]

CONFIG is a full config or a model-only config (configs/_base_/models/*.py).
The model is built on the meta device (no memory, no weights) and run once
on a 1 x C x T x H x W clip (default 16 x 160 x 160) under
dfertools.benchmark.flops, which counts scaled-dot-product attention.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from dfertools.benchmark.flops import (build_model_from_config,  # noqa: E402
                                   model_complexity)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--shape', type=int, nargs=3, default=[16, 160, 160],
                   metavar=('T', 'H', 'W'))
    p.add_argument('--in-channels', type=int, default=3)
    p.add_argument('--json', action='store_true')
    args = p.parse_args(argv)
    model = build_model_from_config(args.config)
    try:
        res = model_complexity(model, args.shape, args.in_channels)
    except ValueError as e:  # e.g. a clip the model's grid cannot take
        print(f'{args.config}: {e}', file=sys.stderr)
        return 2
    res.update(config=args.config, shape=list(args.shape),
               model=type(model).__name__,
               backbone=type(getattr(model, 'backbone', model)).__name__)
    if args.json:
        print(json.dumps(res))
    else:
        t, h, w = args.shape
        print(f'{args.config}\n  input: 1x{args.in_channels}x{t}x{h}x{w}\n'
              f'  params: {res["params"] / 1e6:.2f} M\n'
              f'  FLOPs (multiply-adds): {res["macs"] / 1e9:.2f} G')
    return 0


if __name__ == '__main__':
    sys.exit(main())
