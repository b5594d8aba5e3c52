"""The demo's results: one table, the targets, the figures and report.md.

``tools/demo.sh`` leaves this layout in its work dir (a missing part is
skipped, so the supervised methods, which have no pretraining, use the same
report)::

    pretrain/                      pretraining run (scalars.json, checkpoint)
    finetune_pretrained/dump.json  test predictions, fine-tuned from it
    finetune_scratch/dump.json     the same budget from random weights
    probe_pretrained.json          linear probe on the pretrained backbone
    probe_random.json              ... on the randomly initialised one

:func:`collect` reads them into rows; :func:`check_targets` compares the
rows with the demo's targets; :func:`write_report` writes ``report.md``.
"""
import os.path as osp
from typing import Dict, List, Optional

from dfertools.evaluation.fold_report import fold_report

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


def reconstruction_drop(first: float, last: float) -> float:
    """Relative fall of the loss, in percent of the first epoch's value."""
    return 100.0 * (first - last) / first


def check_targets(rows: List[dict], rec_curve: Optional[Dict[int, float]]
                  ) -> List[dict]:
    """Each target with its measured value and ``met`` (None when the
    rows it needs are missing)."""
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
    return out


def format_table(rows: List[dict], targets: List[dict], title: str) -> str:
    width = max([len(r['name']) for r in rows] + [3]) + 2
    lines = [f'=== demo results: {title}',
             f'{"run":<{width}}{"UAR":>8}{"WAR":>8}{"videos":>8}']
    for r in rows:
        lines.append(f'{r["name"]:<{width}}{r["UAR"]:8.2f}{r["WAR"]:8.2f}'
                     f'{r["videos"]:8d}')
    for t in targets:
        lines.append(f'target: {t["target"]}: {t["value"]:.1f} '
                     f'(need {t["need"]:.0f}) '
                     f'{"met" if t["met"] else "MISSED"}')
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
