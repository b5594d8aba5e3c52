"""Save PNG grids of a pretraining config's masks (and HRD's P).

    python tools/analysis/visualize_masks.py CONFIG [--checkpoint CKPT]
        [--num-samples 4] [--sample] [--out-dir DIR]

One PNG per clip: the first frame of every tubelet, the visible part, and for
the HRD masker its token probabilities P as a heat map. Without a
checkpoint the model is randomly initialised (fine for the fixed maskers).
"""
import argparse
import os
import os.path as osp

import dfertools  # noqa: F401  (compat shims before mmaction)
from dfertools.utils.cfg_options import CfgOptionsAction as DictAction

from dfertools.cli import setup_env
from dfertools.visualization.pretrain_plots import plot_masks
from dfertools.visualization.pretrain_samples import (pretrain_predictions,
                                                      sample_tubelet)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--checkpoint', help='pretraining checkpoint')
    p.add_argument('--num-samples', type=int, default=4)
    p.add_argument('--sample', action='store_true',
                   help='sample the policy masker\'s mask (train mode) '
                   'instead of its top tokens')
    p.add_argument('--out-dir', default='work_dirs/vis_masks')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config keys, e.g. '
                   'train_dataloader.dataset.data_root=DIR')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = setup_env.load_config(args.config, args.cfg_options)
    samples, frames = pretrain_predictions(cfg, args.checkpoint,
                                           args.num_samples, args.sample,
                                           args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    for i, (ds, img) in enumerate(zip(samples, frames)):
        out = plot_masks(img, ds.mask, osp.join(args.out_dir,
                                                f'mask_{i:03d}.png'),
                         prob=ds.get('prob'),
                         tubelet=sample_tubelet(ds))
        print(out)


if __name__ == '__main__':
    main()
