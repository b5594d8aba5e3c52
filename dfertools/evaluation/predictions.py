"""Per-view prediction records: de-duplication, multi-view merge, JSON dumps.

A *record* is one test view of one video::

    dict(video_id='clips/001.mp4', view_id=0, probs=[p_0, ..., p_C-1], label=3)

``probs`` are softmax probabilities of that view (docs/design.md,
'Multi-view merge': softmax per view, then average per video). Records are
keyed by the tuple
``(video_id, view_id)`` and videos by the tuple ``(video_id,)`` — never by a
concatenated string, so ids containing separators cannot collide.

Padded duplicates: a distributed sampler pads the last shards with repeated
samples. mmengine's ``collect_results`` cuts the list back to the dataset
size, but samplers that pad differently (or ``drop_last=False`` variants)
can still hand the metric the same ``(video_id, view_id)`` twice; only the
first record of a key is kept, so no view is counted twice.

Dump format (JSON, never pickle, so dumps are safe to read and merge)::

    {"format": "dfertools.predictions", "version": 1,
     "num_classes": C, "class_names": [...] or null,
     "records": [record, ...], "metrics": {...} or null}
"""
import json
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, Hashable, List, Optional, Sequence, Tuple

import numpy as np

DUMP_FORMAT = 'dfertools.predictions'
DUMP_VERSION = 1


def deduplicate(records: Sequence[dict]) -> List[dict]:
    """Keep the first record of every ``(video_id, view_id)`` key.

    Raises if two records of one key disagree on the label (that is not
    padding but a broken annotation).
    """
    seen: Dict[Tuple[str, int], dict] = OrderedDict()
    for rec in records:
        key = (rec['video_id'], int(rec['view_id']))
        if key in seen:
            if int(seen[key]['label']) != int(rec['label']):
                raise ValueError(
                    f'video {key[0]!r} view {key[1]} appears twice with '
                    f'labels {seen[key]["label"]} and {rec["label"]}; check '
                    'the annotation file for duplicated entries.')
            continue
        seen[key] = rec
    return list(seen.values())


def merge_views(records: Sequence[dict], key_prefix: Tuple = ()
                ) -> Tuple[List[Hashable], np.ndarray, np.ndarray]:
    """Average the view probabilities of each video (after de-duplication).

    Args:
        records: per-view records.
        key_prefix: prepended to every video key, e.g. ``(fold,)`` to keep
            videos of different folds apart when pooling.

    Returns:
        ``(keys, probs[V, C], labels[V])`` in first-seen video order; keys are
        tuples ``key_prefix + (video_id,)``.
    """
    groups: Dict[Tuple, List[dict]] = OrderedDict()
    for rec in deduplicate(records):
        groups.setdefault(tuple(key_prefix) + (rec['video_id'],),
                          []).append(rec)
    if not groups:
        raise ValueError('no prediction records to merge')
    keys, probs, labels = [], [], []
    for key, views in groups.items():
        view_labels = {int(v['label']) for v in views}
        if len(view_labels) != 1:
            raise ValueError(f'views of video {key[-1]!r} carry different '
                             f'labels {sorted(view_labels)}')
        keys.append(key)
        probs.append(np.mean([np.asarray(v['probs'], dtype=np.float64)
                              for v in views], axis=0))
        labels.append(view_labels.pop())
    return keys, np.stack(probs), np.asarray(labels, dtype=np.int64)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def write_json_atomic(obj, path: str) -> None:
    """Write JSON to ``path`` through a temporary file and ``os.replace``."""
    dirname = osp.dirname(osp.abspath(path))
    os.makedirs(dirname, exist_ok=True)
    tmp = osp.join(dirname, f'.{osp.basename(path)}.tmp-{os.getpid()}')
    try:
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(_jsonable(obj), f, indent=1)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def save_dump(path: str, records: Sequence[dict], num_classes: int,
              class_names: Optional[Sequence[str]] = None,
              metrics: Optional[dict] = None) -> None:
    """Write per-view records (and the metrics summary) as a JSON dump."""
    payload = dict(
        format=DUMP_FORMAT, version=DUMP_VERSION, num_classes=int(num_classes),
        class_names=list(class_names) if class_names is not None else None,
        records=[dict(video_id=r['video_id'], view_id=int(r['view_id']),
                      probs=[float(p) for p in r['probs']],
                      label=int(r['label'])) for r in records],
        metrics=metrics)
    write_json_atomic(payload, path)


def load_dump(path: str) -> dict:
    """Read and validate a dump written by :func:`save_dump`."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path}: no such prediction dump; produce it with '
            '`python tools/test.py CONFIG CKPT --dump FILE.json`.')
    try:
        with open(path, encoding='utf-8') as f:
            payload = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(
            f'{path}: not a JSON prediction dump ({e}); dumps must come from '
            "DFERMetric(dump_path=...) / tools/test.py --dump (pickle dumps "
            'from mmengine DumpResults are not read).') from e
    if not isinstance(payload, dict) or payload.get('format') != DUMP_FORMAT:
        raise ValueError(f'{path}: missing "format": "{DUMP_FORMAT}"; this '
                         'is not a dfertools prediction dump.')
    if payload.get('version') != DUMP_VERSION:
        raise ValueError(f'{path}: dump version {payload.get("version")} is '
                         f'not supported (expected {DUMP_VERSION}).')
    num_classes = payload.get('num_classes')
    for i, rec in enumerate(payload.get('records') or []):
        missing = {'video_id', 'view_id', 'probs', 'label'} - set(rec)
        if missing:
            raise ValueError(f'{path}: record {i} lacks {sorted(missing)}')
        if len(rec['probs']) != num_classes:
            raise ValueError(f'{path}: record {i} has {len(rec["probs"])} '
                             f'probabilities, expected {num_classes}')
    if not payload.get('records'):
        raise ValueError(f'{path}: the dump holds no records')
    return payload
