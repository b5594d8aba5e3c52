"""Classify every clip of a folder or a list file into one CSV.

The clips are found like the face-extraction tool finds them (video files
and frame folders under a folder, recursively, or the lines of a ``.txt``
list). Each row holds the path, the predicted class name and index and the
probability of every class; a clip that cannot be classified (unreadable,
no face with ``face_crop``) gets an empty prediction and its error in the
``error`` column, and the batch goes on. The CSV is written atomically
when all clips are done.
"""
import csv
import time
from typing import Callable, Dict, List, Optional

import torch

from dfertools.datasets.faces.extraction import find_inputs
from dfertools.utils.atomic_file import atomic_path
from .inference import build_test_pipeline, inference_recognizer


def batch_inference(model: torch.nn.Module, src: str, out_csv: str,
                    num_views: Optional[int] = None,
                    face_crop: Optional[dict] = None,
                    log: Callable[[str], None] = print) -> List[Dict]:
    """Run :func:`inference_recognizer` on every clip of ``src``; write
    ``out_csv``; return the rows."""
    paths = [p for p, _ in find_inputs(src)]
    if not paths:
        raise FileNotFoundError(f'{src}: no video files or frame folders '
                                'found.')
    pipeline = build_test_pipeline(model.cfg, face_crop)
    rows, classes, start = [], None, time.time()
    for i, path in enumerate(paths, 1):
        try:
            res = inference_recognizer(model, path, num_views,
                                       pipeline=pipeline)
        except Exception as e:  # noqa: BLE001  one bad clip, not the batch
            rows.append(dict(path=path, error=f'{type(e).__name__}: {e}'))
            log(f'[{i}/{len(paths)}] failed: {path}: {rows[-1]["error"]}')
            continue
        classes = res['classes']
        row = dict(path=path, pred_class=classes[res['pred_label']],
                   pred_label=res['pred_label'], error='')
        row.update({c: f'{p:.6f}' for c, p in zip(classes, res['probs'])})
        rows.append(row)
        rate = i / max(time.time() - start, 1e-9)
        log(f'[{i}/{len(paths)}] {rate:.2f} clips/s '
            f'ETA {(len(paths) - i) / rate:.0f}s {path}: '
            f'{row["pred_class"]}')
    fields = ['path', 'pred_class', 'pred_label'] + list(classes or []) + [
        'error']
    with atomic_path(out_csv) as tmp, open(tmp, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=fields, restval='')
        w.writeheader()
        w.writerows(rows)
    return rows
