"""Linear probe of a fine-tuning config's backbone on frozen features.

    python tools/analysis/linear_probe.py CONFIG [--checkpoint CKPT ...]
        [--dump probe.json ...] [--seed 0] [--cfg-options ...]

Without ``--checkpoint`` (or with ``--checkpoint random``) the backbone
keeps its seeded random initialisation (the baseline a pretrained backbone
must beat). Several checkpoints are probed in turn in one process, which
decodes the videos once (``--checkpoint pretrain/epoch_32.pth random
--dump pre.json rand.json``: each probe gives the same figures as a run of
its own); ``--dump`` names one file per checkpoint, in order. Features of
the training split (with the test pipeline) and of the test split are
extracted once; a logistic regression is fitted on them
(dfertools/evaluation/linear_probe.py). Prints UAR / WAR of the test split
and writes a prediction dump that tools/analysis/compare_runs.py and
plot_confusion.py read.
"""
import argparse
import sys

import dfertools  # noqa: F401  (compat shims before mmaction)
from dfertools.evaluation.functional import summarize
from dfertools.evaluation.linear_probe import probe_config
from dfertools.evaluation.predictions import merge_views, save_dump
from dfertools.cli import setup_env
from dfertools.utils.cfg_options import CfgOptionsAction
from dfertools.cli.tool_errors import run_main

RANDOM = 'random'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='a fine-tuning config (model.backbone, '
                   'train/test dataloaders)')
    p.add_argument('--checkpoint', nargs='+', default=[RANDOM],
                   metavar='CKPT', help='weights for the backbone (a '
                   'pretraining or fine-tuning checkpoint), or '
                   f'"{RANDOM}" for the seeded random initialisation '
                   '(default); several are probed in turn')
    p.add_argument('--dump', nargs='+', metavar='FILE',
                   help='write per-view test predictions (JSON), one file '
                   'per checkpoint')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                   metavar='KEY=VALUE')
    args = p.parse_args(argv)
    if args.dump and len(args.dump) != len(args.checkpoint):
        p.error(f'--dump names {len(args.dump)} file(s) for '
                f'{len(args.checkpoint)} checkpoint(s); give one per '
                'checkpoint, in the same order')
    return args


def probe_one(cfg, checkpoint, seed, dump=None) -> None:
    """Probe one backbone (``None``: random initialisation), print its
    figures, write its dump."""
    out = probe_config(cfg, checkpoint, seed=seed)
    _, probs, labels = merge_views(out['records'])
    s = summarize(labels, probs.argmax(1), out['num_classes'],
                  out['class_names'])
    init = checkpoint or 'random initialisation'
    print(f'linear probe ({init}): UAR {100 * s["UAR"]:.2f}  '
          f'WAR {100 * s["WAR"]:.2f}  on {s["num_samples"]} test videos '
          f'(weight decay {out["weight_decay"]:g})', flush=True)
    if dump:
        save_dump(dump, out['records'], out['num_classes'],
                  out['class_names'],
                  metrics=dict(UAR=s['UAR'], WAR=s['WAR']))


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = setup_env.load_config(args.config, args.cfg_options)
    checkpoints = [None if c == RANDOM else setup_env.existing_checkpoint(c)
                   for c in args.checkpoint]   # all checked before any probe
    dumps = args.dump or [None] * len(checkpoints)
    for ckpt, dump in zip(checkpoints, dumps):
        probe_one(cfg, ckpt, args.seed, dump)
    return 0


if __name__ == '__main__':
    sys.exit(run_main(main))
