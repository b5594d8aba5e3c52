"""Linear probe of a fine-tuning config's backbone on frozen features.

    python tools/analysis/linear_probe.py CONFIG [--checkpoint CKPT]
        [--dump probe.json] [--seed 0] [--cfg-options ...]

Without ``--checkpoint`` the backbone keeps its seeded random
initialisation (the baseline a pretrained backbone must beat). Features of
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


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='a fine-tuning config (model.backbone, '
                   'train/test dataloaders)')
    p.add_argument('--checkpoint', help='weights for the backbone (a '
                   'pretraining or fine-tuning checkpoint); default: random '
                   'initialisation')
    p.add_argument('--dump', help='write per-view test predictions (JSON)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                   metavar='KEY=VALUE')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = setup_env.load_config(args.config, args.cfg_options)
    if args.checkpoint:
        setup_env.existing_checkpoint(args.checkpoint)
    out = probe_config(cfg, args.checkpoint, seed=args.seed)
    _, probs, labels = merge_views(out['records'])
    s = summarize(labels, probs.argmax(1), out['num_classes'],
                  out['class_names'])
    init = args.checkpoint or 'random initialisation'
    print(f'linear probe ({init}): UAR {100 * s["UAR"]:.2f}  '
          f'WAR {100 * s["WAR"]:.2f}  on {s["num_samples"]} test videos '
          f'(weight decay {out["weight_decay"]:g})')
    if args.dump:
        save_dump(args.dump, out['records'], out['num_classes'],
                  out['class_names'],
                  metrics=dict(UAR=s['UAR'], WAR=s['WAR']))
    return 0


if __name__ == '__main__':
    sys.exit(run_main(main))
