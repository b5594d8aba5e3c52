"""Write a SynthDFER dataset to disk (videos + annotation files).

Layout written under ``out_dir`` (see docs/data_preparation.md)::

    videos/00001.mp4 ...          labeled clips (OpenCV ``mp4v``, 25 fps)
    unlabeled/00001.mp4 ...       unlabeled pool (other identities; natural
                                  expressions with labels withheld, talking)
    annotations/train_{k}.txt     ``path num_frames label``, k = 1..folds
    annotations/test_{k}.txt
    annotations/all.txt           every labeled clip
    annotations/dfew_csv/{train,test}/set_{k}.csv   official DFEW style
    annotations/unlabeled.txt     ``path`` list of the unlabeled pool
    meta.json                     seed, sizes, class counts (no timestamps)

Folds are disjoint by identity: each identity's clips are all in one test
fold. The plan (identities, labels, lengths, folds) is drawn from the seed
before any rendering and every clip has its own generator, so annotation
files are byte-identical and decoded frames identical for a given seed and
any number of workers.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from dfertools.utils.isolated_pool import isolated_map

from .synthetic import (CLASS_WEIGHTS, CLASSES, Difficulty, render_clip,
                        sample_identity)

_LABELED, _UNLABELED = 1, 2


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def class_counts(num: int, weights: Sequence[float] = CLASS_WEIGHTS
                 ) -> List[int]:
    """Exact per-class counts (largest remainder), each class >= 1 when
    ``num >= len(weights)``."""
    w = np.asarray(weights, np.float64) / np.sum(weights)
    raw = w * num
    counts = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - counts), kind='stable')[:num - counts.sum()]:
        counts[k] += 1
    if num >= len(w):
        while (counts == 0).any():
            counts[np.argmin(counts)] += 1
            counts[np.argmax(counts)] -= 1
    return counts.tolist()


def plan_dataset(seed: int, num_labeled: int, num_unlabeled: int,
                 frames: Tuple[int, int], num_folds: int,
                 unlabeled_expression_prob: float = 1.0,
                 unlabeled_talk_prob: float = 0.5) -> Dict:
    """Everything about the dataset except pixels, drawn from ``seed``.

    The labeled plan is drawn first, so the unlabeled options never change
    the labeled clips. An unlabeled clip shows an expression with
    probability ``unlabeled_expression_prob`` (its class drawn with the
    labeled class mix and kept as ``hidden_label``, never written to an
    annotation file) and talks with probability ``unlabeled_talk_prob``.
    """
    rng = _rng(seed, 0)
    num_ids = max(num_folds, num_labeled // 7)
    id_fold = rng.permutation(num_ids) % num_folds + 1
    labels = np.repeat(np.arange(len(CLASSES)), class_counts(num_labeled))
    labels = rng.permutation(labels)
    labeled = [dict(path=f'videos/{i + 1:05d}.mp4', label=int(labels[i]),
                    identity=int(rng.integers(num_ids)),
                    num_frames=int(rng.integers(frames[0], frames[1] + 1)))
               for i in range(num_labeled)]
    for clip in labeled:
        clip['fold'] = int(id_fold[clip['identity']])
    weights = np.asarray(CLASS_WEIGHTS) / np.sum(CLASS_WEIGHTS)
    unlabeled = []
    for i in range(num_unlabeled):
        clip = dict(path=f'unlabeled/{i + 1:05d}.mp4', label=None,
                    identity=int(rng.integers(max(num_unlabeled // 5, 1))),
                    num_frames=int(rng.integers(frames[0], frames[1] + 1)))
        shows = rng.random() < unlabeled_expression_prob
        hidden = int(rng.choice(len(CLASSES), p=weights))
        clip['hidden_label'] = hidden if shows else None
        clip['talk'] = bool(rng.random() < unlabeled_talk_prob)
        unlabeled.append(clip)
    return dict(labeled=labeled, unlabeled=unlabeled, num_identities=num_ids)


def write_video(path: str, frames: List[np.ndarray], fps: float = 25.0
                ) -> None:
    """Write BGR frames as an ``mp4v`` mp4 (readable by decord)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'OpenCV cannot open a mp4v writer for {path}')
    for frame in frames:
        writer.write(frame)
    writer.release()


def check_readable(path: str, num_frames: int, size: int) -> None:
    """Fail early if decord cannot read what we wrote (decord 0.6 returns
    garbled frames for some small mp4v sizes, e.g. 16, 24, 48, 72)."""
    import decord
    reader = decord.VideoReader(path)
    shape = reader.get_batch([0]).asnumpy().shape if len(reader) else None
    if len(reader) != num_frames or shape != (1, size, size, 3):
        raise RuntimeError(
            f'decord reads {path} as {len(reader)} frames of {shape}, '
            f'expected {num_frames} of {(size, size, 3)}; choose another '
            '--size (32, 64, 96, 112, 128 and 160 work).')


def _render_job(job) -> None:
    seed, kind, index, clip, size, diff, out_dir = job
    ident = sample_identity(_rng(seed, kind + 10, clip['identity']))
    label = clip['label'] if kind == _LABELED else clip['hidden_label']
    frames = render_clip(_rng(seed, kind, index), ident, label,
                         clip['num_frames'], size, diff, clip.get('talk'))
    write_video(osp.join(out_dir, clip['path']), frames)


def _write_lines(path: str, lines: List[str]) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write(''.join(line + '\n' for line in lines))


def write_annotations(out_dir: str, plan: Dict, num_folds: int) -> None:
    """All annotation files of the layout in the module docstring."""
    ann = osp.join(out_dir, 'annotations')
    labeled = plan['labeled']

    def pfl(clips):
        return [f"{c['path']} {c['num_frames']} {c['label']}" for c in clips]

    def csv_rows(clips):
        return ['video_name,label'] + [
            f"{int(osp.basename(c['path'])[:5])},{c['label'] + 1}"
            for c in clips]

    _write_lines(osp.join(ann, 'all.txt'), pfl(labeled))
    for k in range(1, num_folds + 1):
        train = [c for c in labeled if c['fold'] != k]
        test = [c for c in labeled if c['fold'] == k]
        _write_lines(osp.join(ann, f'train_{k}.txt'), pfl(train))
        _write_lines(osp.join(ann, f'test_{k}.txt'), pfl(test))
        for split, clips in (('train', train), ('test', test)):
            _write_lines(osp.join(ann, 'dfew_csv', split, f'set_{k}.csv'),
                         csv_rows(clips))
    _write_lines(osp.join(ann, 'unlabeled.txt'),
                 [c['path'] for c in plan['unlabeled']])


def generate(out_dir: str, seed: int = 0, num_labeled: int = 700,
             num_unlabeled: int = 1000, size: int = 112,
             frames: Tuple[int, int] = (16, 32), num_folds: int = 5,
             workers: int = 2, difficulty: Optional[Difficulty] = None,
             progress: bool = True, unlabeled_expression_prob: float = 1.0,
             unlabeled_talk_prob: float = 0.5) -> Dict:
    """Generate SynthDFER into ``out_dir``; returns the ``meta.json`` dict."""
    if num_labeled < num_folds:
        raise ValueError(f'num_labeled ({num_labeled}) must be >= '
                         f'num_folds ({num_folds})')
    if not 16 <= size or frames[0] < 1 or frames[1] < frames[0]:
        raise ValueError(f'invalid size={size} or frames={frames}')
    diff = difficulty or Difficulty()
    plan = plan_dataset(seed, num_labeled, num_unlabeled, frames, num_folds,
                        unlabeled_expression_prob, unlabeled_talk_prob)
    for sub in ('videos', 'unlabeled'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    jobs = [(seed, _LABELED, i, c, size, diff, out_dir)
            for i, c in enumerate(plan['labeled'])]
    jobs += [(seed, _UNLABELED, i, c, size, diff, out_dir)
             for i, c in enumerate(plan['unlabeled'])]
    bar = None
    if progress:
        from dfertools.utils.progress import progress_bar
        bar = progress_bar(len(jobs))
    if workers > 1:
        # spawned workers (a forked copy of a process whose OpenCV thread
        # pool has run can hang in cv2.setNumThreads); one whose render
        # kills it is reported instead of hanging the pool
        for job, _, failure in isolated_map(_render_job, jobs, workers,
                                            cv2.setNumThreads, (1, )):
            if failure is not None:
                raise RuntimeError(f'rendering {job[3]["path"]} failed: '
                                   f'{failure}')
            if bar:
                bar.update()
    else:
        for job in jobs:
            _render_job(job)
            if bar:
                bar.update()
    check_readable(osp.join(out_dir, plan['labeled'][0]['path']),
                   plan['labeled'][0]['num_frames'], size)
    write_annotations(out_dir, plan, num_folds)
    counts = np.bincount([c['label'] for c in plan['labeled']],
                         minlength=len(CLASSES))
    meta = dict(name='SynthDFER (synthetic, not a real dataset)', seed=seed,
                size=size, frames=list(frames), num_folds=num_folds,
                num_labeled=num_labeled, num_unlabeled=num_unlabeled,
                unlabeled_expression_prob=unlabeled_expression_prob,
                unlabeled_talk_prob=unlabeled_talk_prob,
                num_identities=plan['num_identities'],
                classes=list(CLASSES),
                class_counts={c: int(n) for c, n in zip(CLASSES, counts)},
                difficulty=_jsonable(diff))
    with open(osp.join(out_dir, 'meta.json'), 'w', encoding='utf-8') as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write('\n')
    return meta


def _jsonable(diff: Difficulty) -> Dict:
    from dataclasses import asdict
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in asdict(diff).items()}
