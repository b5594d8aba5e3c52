"""Save PNG grids of a pretrained model's reconstructions.

    python tools/analysis/visualize_reconstruction.py CONFIG CHECKPOINT
        [--num-samples 4] [--sample] [--out-dir DIR]

One PNG per clip: input frames, the visible part, and target vs. predicted
appearance (and motion, for the motion target), all mapped to pixels with
the dataset mean/std of the config's data preprocessor.
"""
import argparse
import os
import os.path as osp

import dfertools  # noqa: F401  (compat shims before mmaction)
from dfertools.utils.cfg_options import CfgOptionsAction as DictAction

from dfertools.cli import setup_env
from dfertools.visualization.pretrain_plots import plot_reconstruction
from dfertools.visualization.pretrain_samples import (preprocessor_stats,
                                                      pretrain_predictions,
                                                      sample_tubelet)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint', help='pretraining checkpoint ("none" for '
                   'a randomly initialised model)')
    p.add_argument('--num-samples', type=int, default=4)
    p.add_argument('--sample', action='store_true',
                   help='sample the policy masker\'s mask (train mode)')
    p.add_argument('--out-dir', default='work_dirs/vis_reconstruction')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config keys, e.g. '
                   'train_dataloader.dataset.data_root=DIR')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = setup_env.load_config(args.config, args.cfg_options)
    ckpt = None if args.checkpoint.lower() == 'none' else \
        setup_env.existing_checkpoint(args.checkpoint)
    samples, frames = pretrain_predictions(cfg, ckpt, args.num_samples,
                                           args.sample, args.seed)
    mean, std = preprocessor_stats(cfg.model)
    rec = cfg.model.rec_loss
    os.makedirs(args.out_dir, exist_ok=True)
    for i, (ds, img) in enumerate(zip(samples, frames)):
        out = plot_reconstruction(
            img, ds.mask, ds.pred_video, ds.target_video,
            osp.join(args.out_dir, f'reconstruction_{i:03d}.png'),
            motion_target=rec.get('motion_target', False),
            tubelet=sample_tubelet(ds),
            mean=mean, std=std)
        print(out)


if __name__ == '__main__':
    main()
