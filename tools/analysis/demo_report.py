"""Results of ``tools/demo.sh``: table, targets, figures and report.md.

    python tools/analysis/demo_report.py WORK_DIR [--pretrain-config CFG]
        [--cfg-options ...] [--title TEXT] [--time-limit SECONDS]

Reads the runs the demo left in WORK_DIR (dfertools/visualization/
demo_report.py lists the layout), prints one table with the demo's targets
(met / MISSED), draws

* ``curves.png``: training loss and validation UAR per epoch of the
  fine-tuning runs, on one figure;
* ``pretrain_loss.png``: the unweighted reconstruction loss per epoch;
* ``confusion_<run>.png``: one confusion matrix per run;
* ``reconstruction.png``: a clip, what the encoder saw, the appearance and
  motion targets and their reconstructions (with ``--pretrain-config``);
* ``masker_probability.png``: a policy masker's visibility probability over
  the face grid, averaged over clips (HRD only);

writes ``report.md`` tying them together (with the stage times
tools/demo.sh recorded, and with ``--time-limit`` the time target), and
lists every file it wrote.
"""
import argparse
import os.path as osp
import sys

import dfertools  # noqa: F401  (compat shims before mmaction)
from dfertools.evaluation.functional import summarize
from dfertools.evaluation.predictions import load_dump, merge_views
from dfertools.cli import setup_env
from dfertools.utils.cfg_options import CfgOptionsAction
from dfertools.cli.tool_errors import run_main
from dfertools.visualization import demo_report as rep
from dfertools.visualization.confusion import plot_confusion_matrix
from dfertools.visualization.training_curves import plot_training_curves

FINETUNE_DIRS = (('pretrained', 'finetune_pretrained'),
                 ('scratch', 'finetune_scratch'), ('supervised', 'finetune'))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('work_dir')
    p.add_argument('--pretrain-config', help='the pretraining config (for '
                   'the reconstruction and masker figures)')
    p.add_argument('--title', default='SynthDFER fold 1 test, 2 views')
    p.add_argument('--time-limit', type=float, metavar='SECONDS',
                   help='the time target: the stages in WORK_DIR/'
                   f'{rep.STAGE_TIMES} (written by tools/demo.sh) must '
                   'sum to at most this')
    p.add_argument('--num-clips', type=int, default=48,
                   help='clips averaged in masker_probability.png')
    p.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                   metavar='KEY=VALUE', help='overrides of the pretraining '
                   'config, e.g. train_dataloader.dataset.data_root=DIR')
    return p.parse_args(argv)


def _confusions(rows, work_dir, figures):
    for row in rows:
        dump = load_dump(row['dump'])
        _, probs, labels = merge_views(dump['records'])
        s = summarize(labels, probs.argmax(1), dump['num_classes'],
                      dump.get('class_names'))
        tag = row['name'].replace(',', '').replace(' ', '_')
        out = osp.join(work_dir, f'confusion_{tag}.png')
        plot_confusion_matrix(s['confusion_matrix'], s['class_names'], out,
                              title=f'{row["name"]}: UAR {row["UAR"]:.1f} '
                              f'WAR {row["WAR"]:.1f}')
        figures[f'Confusion matrix, {row["name"]}'] = out


def _pretrain_figures(cfg, ckpt, work_dir, num_clips, figures):
    from dfertools.visualization.pretrain_plots import (
        plot_mean_probability, plot_reconstruction)
    from dfertools.visualization.pretrain_samples import (
        preprocessor_stats, pretrain_predictions, sample_tubelet)
    samples, frames = pretrain_predictions(cfg, ckpt, num_clips)
    rec = cfg.model.rec_loss
    tub = sample_tubelet(samples[0])
    mean, std = preprocessor_stats(cfg.model)
    out = osp.join(work_dir, 'reconstruction.png')
    plot_reconstruction(frames[0], samples[0].mask, samples[0].pred_video,
                        samples[0].target_video, out,
                        motion_target=rec.get('motion_target', False),
                        tubelet=tub, mean=mean, std=std)
    figures['Reconstruction of one unlabeled clip'] = out
    if 'prob' in samples[0]:
        out = osp.join(work_dir, 'masker_probability.png')
        plot_mean_probability(frames, [s.prob for s in samples], out, tub)
        figures['Where the HRD masker keeps tokens visible'] = out


def main(argv=None) -> int:
    args = parse_args(argv)
    work = args.work_dir
    rows = rep.collect(work)
    if not rows:
        raise FileNotFoundError(f'{work}: no result of the demo found '
                                '(finetune_*/dump.json, probe_*.json)')
    pre_dir = osp.join(work, 'pretrain')
    rec_curve = None
    figures = {}
    if osp.isdir(pre_dir):
        rec_curve = rep.reconstruction_curve(work)
        figures['Pretraining: unweighted reconstruction loss'] = \
            plot_training_curves(
                {'pretraining': pre_dir}, osp.join(work, 'pretrain_loss.png'),
                loss_key='rec_unweighted', metric_key=None)
    runs = {name: osp.join(work, d) for name, d in FINETUNE_DIRS
            if osp.isdir(osp.join(work, d))}
    if runs:
        figures['Fine-tuning: loss and validation UAR per epoch'] = \
            plot_training_curves(runs, osp.join(work, 'curves.png'))
    _confusions(rows, work, figures)
    ckpt_file = osp.join(pre_dir, 'last_checkpoint')
    if args.pretrain_config and osp.isfile(ckpt_file):
        cfg = setup_env.load_config(args.pretrain_config, args.cfg_options)
        ckpt = open(ckpt_file, encoding='utf-8').read().strip()
        _pretrain_figures(cfg, ckpt, work, args.num_clips, figures)
    times = rep.read_stage_times(work)
    targets = rep.check_targets(rows, rec_curve, times, args.time_limit)
    table = rep.format_table(rows, targets, args.title)
    notes = ('## Stage times\n\n' + rep.format_stage_times(times)) \
        if times else ''
    report = rep.write_report(osp.join(work, 'report.md'), table, figures,
                              notes)
    print(table)
    print('figures:')
    for path in list(figures.values()) + [report]:
        print(f'  {path}')
    return 0


if __name__ == '__main__':
    sys.exit(run_main(main))
