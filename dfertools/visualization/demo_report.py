"""The demo's results: one table, the targets, the figures and report.md.

``tools/demo.sh`` leaves this layout in its work dir (a missing part is
skipped, so the supervised methods, which have no pretraining, use the same
report)::

    pretrain/                      pretraining run (scalars.json, checkpoint)
    finetune_pretrained/dump.json  test predictions, fine-tuned from it
    finetune_scratch/dump.json     the same budget from random weights
    probe_pretrained.json          linear probe on the pretrained backbone
    probe_random.json              ... on the randomly initialised one
    stage_times.tsv                seconds each stage took, or ``reused``

:func:`collect` reads them into rows; :func:`check_targets` compares the
rows with the demo's targets (and, given the stage times and a limit, the
time target); :func:`write_report` writes ``report.md``;
:func:`summarize_runs` gives mean ± sample std of every figure over several
work dirs (seeds of one method) for the docs' tables.
"""
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence

from dfertools.evaluation.fold_report import fold_report, mean_sample_std
from dfertools.visualization.training_curves import run_curves

RUNS = (
    ('finetune_pretrained/dump.json', 'fine-tuned from pretrained'),
    ('finetune_scratch/dump.json', 'fine-tuned from scratch'),
    ('finetune/dump.json', 'trained (supervised)'),
    ('probe_pretrained.json', 'linear probe, pretrained'),
    ('probe_random.json', 'linear probe, random init'),
)

# (description, row a, row b or None, margin in UAR points, absolute floor)
TARGETS = (
    ('fine-tuned from pretrained >= scratch + 10 UAR',
     'fine-tuned from pretrained', 'fine-tuned from scratch', 10.0, None),
    ('fine-tuned from pretrained >= 40 UAR',
     'fine-tuned from pretrained', None, None, 40.0),
    ('linear probe pretrained >= random + 10 UAR',
     'linear probe, pretrained', 'linear probe, random init', 10.0, None),
)


def collect(work_dir: str) -> List[dict]:
    """One row per result found: name, UAR, WAR (percent), videos, dump."""
    rows = []
    for rel, name in RUNS:
        path = osp.join(work_dir, rel)
        if not osp.isfile(path):
            continue
        pooled = fold_report([path])['pooled']
        rows.append(dict(name=name, UAR=100 * pooled['UAR'],
                         WAR=100 * pooled['WAR'],
                         videos=pooled['num_samples'], dump=path))
    return rows


def reconstruction_curve(work_dir: str) -> Optional[Dict[int, float]]:
    """Per-epoch unweighted reconstruction loss of ``work_dir/pretrain``
    (``loss_rec`` when the run logged no ``rec_unweighted``), or None."""
    pre_dir = osp.join(work_dir, 'pretrain')
    if not osp.isdir(pre_dir):
        return None
    return run_curves(pre_dir, 'rec_unweighted', '')['loss'] or \
        run_curves(pre_dir, 'loss_rec', '')['loss']


def reconstruction_drop(first: float, last: float) -> float:
    """Relative fall of the loss, in percent of the first epoch's value."""
    return 100.0 * (first - last) / first


STAGE_TIMES = 'stage_times.tsv'


def read_stage_times(work_dir: str) -> List[dict]:
    """The stages ``tools/demo.sh`` timed, in order: one line
    ``stage<TAB>seconds<TAB>ran|reused`` each in ``stage_times.tsv``
    (``[]`` when there is none)."""
    path = osp.join(work_dir, STAGE_TIMES)
    if not osp.isfile(path):
        return []
    times = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip('\n').split('\t')
            if len(parts) != 3 or not parts[1].isdigit() or \
                    parts[2] not in ('ran', 'reused'):
                raise ValueError(
                    f'{path}:{n}: expected "stage<TAB>seconds<TAB>ran or '
                    f'reused", got {line!r}; delete the file and run '
                    'tools/demo.sh again')
            times.append(dict(stage=parts[0], seconds=int(parts[1]),
                              status=parts[2]))
    return times


def time_target(times: List[dict], limit_s: float) -> dict:
    """The demo's time target over its timed stages (everything up to
    the report): ``met`` is None, not evaluated, when a stage was reused
    (its time is not in the sum)."""
    total = sum(t['seconds'] for t in times)
    reused = [t['stage'] for t in times if t['status'] == 'reused']
    return dict(target=f'the demo up to its report in <= {limit_s:.0f} s '
                '(data generation included)', value=float(total),
                need=float(limit_s), met=None if reused else total <= limit_s,
                reused=reused)


def format_stage_times(times: List[dict]) -> str:
    """A markdown table of the stage times for ``report.md``."""
    lines = ['| stage | seconds |', '|---|---|']
    for t in times:
        lines.append(f'| {t["stage"]} | '
                     + (f'{t["seconds"]}' if t['status'] == 'ran'
                        else 'reused from an earlier run') + ' |')
    lines.append(f'| total | {sum(t["seconds"] for t in times)} |')
    return '\n'.join(lines)


def check_targets(rows: List[dict], rec_curve: Optional[Dict[int, float]],
                  times: Optional[List[dict]] = None,
                  time_limit_s: Optional[float] = None) -> List[dict]:
    """Each target with its measured value and ``met`` (targets whose
    rows are missing are left out; the time target needs ``times`` and
    ``time_limit_s``)."""
    by_name = {r['name']: r for r in rows}
    out = []
    for text, a, b, margin, floor in TARGETS:
        if a not in by_name or (b is not None and b not in by_name):
            continue
        value = by_name[a]['UAR'] - (by_name[b]['UAR'] if b else 0.0)
        need = margin if b else floor
        out.append(dict(target=text, value=value, need=need,
                        met=value >= need))
    if rec_curve and len(rec_curve) >= 2:
        epochs = sorted(rec_curve)
        drop = reconstruction_drop(rec_curve[epochs[0]],
                                   rec_curve[epochs[-1]])
        out.append(dict(
            target='unweighted reconstruction loss falls >= 30 % '
            f'(epoch {epochs[0]} -> {epochs[-1]})', value=drop, need=30.0,
            met=drop >= 30.0))
    if times and time_limit_s is not None:
        out.append(time_target(times, time_limit_s))
    return out


def format_table(rows: List[dict], targets: List[dict], title: str) -> str:
    width = max([len(r['name']) for r in rows] + [3]) + 2
    lines = [f'=== demo results: {title}',
             f'{"run":<{width}}{"UAR":>8}{"WAR":>8}{"videos":>8}']
    for r in rows:
        lines.append(f'{r["name"]:<{width}}{r["UAR"]:8.2f}{r["WAR"]:8.2f}'
                     f'{r["videos"]:8d}')
    for t in targets:
        verdict = 'met' if t['met'] else 'MISSED'
        if t['met'] is None:
            verdict = ('not evaluated: reused ' + ', '.join(t['reused'])
                       + ' (FRESH=1 and a new DATA folder time it all)')
        lines.append(f'target: {t["target"]}: {t["value"]:.1f} '
                     f'(need {t["need"]:.0f}) {verdict}')
    return '\n'.join(lines)


def write_report(path: str, table: str, figures: Dict[str, str],
                 notes: str = '') -> str:
    """``report.md``: the table, then every figure with its caption."""
    base = osp.dirname(osp.abspath(path))
    parts = ['# dfertools demo report', '', '```', table, '```', '']
    if notes:
        parts += [notes, '']
    for caption, fig in figures.items():
        rel = osp.relpath(osp.abspath(fig), base)
        parts += [f'## {caption}', '', f'![{caption}]({rel})', '']
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(parts))
    return path


def summarize_runs(work_dirs: Sequence[str]) -> dict:
    """Mean and sample std (ddof=1, NaN for one run) over ``work_dirs`` of
    each row's UAR and WAR and of each target's value, keyed by name, plus
    how many runs met each target. Only what every run has is summarised.
    """
    per_run = []
    for work in work_dirs:
        rows = collect(work)
        if not rows:
            raise FileNotFoundError(f'{work}: no result of the demo found '
                                    '(finetune_*/dump.json, probe_*.json)')
        per_run.append((rows, check_targets(rows, reconstruction_curve(work))))
    out = dict(runs=list(work_dirs), rows={}, targets={})
    for name in [r['name'] for r in per_run[0][0]]:
        got = [next((r for r in rows if r['name'] == name), None)
               for rows, _ in per_run]
        if None in got:
            continue
        out['rows'][name] = {k: mean_sample_std([r[k] for r in got])
                             for k in ('UAR', 'WAR')}
    for t in per_run[0][1]:
        got = [next((u for u in ts if u['target'] == t['target']), None)
               for _, ts in per_run]
        if None in got:
            continue
        out['targets'][t['target']] = dict(
            value=mean_sample_std([u['value'] for u in got]), need=t['need'],
            met=sum(bool(u['met']) for u in got))
    return out


def format_summary(summary: dict) -> str:
    """A markdown table of :func:`summarize_runs` (mean ± std)."""
    def ms(pair):
        mean, std = pair
        return f'{mean:.1f}' + ('' if math.isnan(std) else f' ± {std:.1f}')
    n = len(summary['runs'])
    lines = [f'| run ({n} work dirs) | UAR | WAR |', '|---|---|---|']
    for name, v in summary['rows'].items():
        lines.append(f'| {name} | {ms(v["UAR"])} | {ms(v["WAR"])} |')
    if summary['targets']:
        lines += ['', '| target | measured | need | met in |',
                  '|---|---|---|---|']
        for name, t in summary['targets'].items():
            lines.append(f'| {name} | {ms(t["value"])} | {t["need"]:.0f} | '
                         f'{t["met"]} of {n} |')
    return '\n'.join(lines)
