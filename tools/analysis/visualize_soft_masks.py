"""Save PNGs of AdaTosk's soft masks over the frames (adatosk Fig. 3).

    python tools/analysis/visualize_soft_masks.py CONFIG [--checkpoint CKPT]
        [--num-samples 4] [--split test] [--out-dir DIR]
        [--cfg-options KEY=VALUE ...]

One PNG per clip, one column per token slice: the frames, the visible
patches after the model's deterministic eval hard mask (Fig. 3 row 3), the
class-semantic soft mask S_sem (row 4) and the class-agnostic soft mask
S_agn averaged over channels (row 5); bright = light mask, dark = heavy.
Without a checkpoint the model is randomly initialised.
"""
import argparse
import os
import os.path as osp

import dfertools  # noqa: F401  (compat shims before mmaction)
from dfertools.utils.cfg_options import CfgOptionsAction as DictAction

from dfertools.cli import setup_env
from dfertools.visualization.soft_masks import (render_soft_masks,
                                                soft_mask_samples)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--checkpoint', help='SupervisedMAE checkpoint')
    p.add_argument('--num-samples', type=int, default=4)
    p.add_argument('--split', choices=('train', 'val', 'test'),
                   default='test',
                   help='dataloader whose dataset (and pipeline) is used')
    p.add_argument('--out-dir', default='work_dirs/vis_soft_masks')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   metavar='KEY=VALUE', help='override config keys')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = setup_env.load_config(args.config, args.cfg_options)
    samples = soft_mask_samples(cfg, args.checkpoint, args.num_samples,
                                args.split, args.seed)
    backbone = cfg.model.backbone
    patch = backbone.get('patch_size', 16)
    os.makedirs(args.out_dir, exist_ok=True)
    paths = []
    for i, s in enumerate(samples):
        out = osp.join(args.out_dir, f'soft_masks_{i:03d}.png')
        render_soft_masks(s['frames'], s['grid'], s['visible_idx'],
                          s['masks'], patch_size=(patch, patch),
                          tubelet_size=backbone.get('tubelet_size', 2),
                          out_file=out)
        print(out)
        paths.append(out)
    return paths


if __name__ == '__main__':
    main()
