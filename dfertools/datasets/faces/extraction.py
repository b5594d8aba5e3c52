"""The face-extraction driver: many clips in, face crops and a manifest
out (``tools/data/extract_faces.py``).

For each input clip (a video file or a frame folder) the driver reads the
frames twice, one at a time (so memory does not grow with the clip's
length): pass 1 runs the detector of :class:`~.cropper.FaceCropper` and
builds the smoothed face track, pass 2 crops each frame along it and writes
the crops to ``OUT/<relative path>.mp4`` (``fmt='mp4'``) or
``OUT/<relative path>/`` (``fmt='frames'``). Then a record
``<output>.face.json`` (input, output, frames, frames with a detected face,
box statistics, the cropper settings) is written. The record comes after
the output is complete, so *output + record* marks a finished clip: a rerun
skips it (``skipped``) if it was made with the same settings, and anything
else is done again. The output folder itself is never searched for
inputs.
Clips that fail — unreadable, no face in any frame, a write error — are
listed with the reason and retried on the next run.

When all clips are handled, ``OUT/manifest.csv`` (one row per finished
clip) and ``OUT/failures.csv`` (``input,reason``) are written atomically.
Clips run in ``workers`` processes (started with ``spawn``: a detector
registered only in the main script, not in an importable module or plugin,
is unknown to them); a progress line with rate and ETA is printed per
clip.
"""
import csv
import json
import multiprocessing as mp
import os
import os.path as osp
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from dfertools.utils.atomic_file import atomic_path
from ..transforms.loading import FRAME_EXTENSIONS, VIDEO_EXTENSIONS
from .clip_io import clip_fps, iter_frames, write_clip
from .cropper import FaceCropper, NoFaceError

RECORD_SUFFIX = '.face.json'
MANIFEST_FIELDS = ('input', 'output', 'frames', 'face_frames', 'fps',
                   'side_mean', 'side_min', 'side_max', 'center_x_mean',
                   'center_y_mean', 'jitter_raw', 'jitter')


def _is_frame_folder(path: str) -> bool:
    """Image files and no video files (a folder of videos with a stray
    thumbnail is still searched for videos)."""
    names = [n.lower() for n in os.listdir(path)]
    return (any(n.endswith(FRAME_EXTENSIONS) for n in names)
            and not any(n.endswith(VIDEO_EXTENSIONS) for n in names))


def find_inputs(src: str, exclude: Optional[str] = None
                ) -> List[Tuple[str, str]]:
    """``(path, relative name without extension)`` of every clip in
    ``src``: a video file, a frame folder, a folder (searched recursively
    for video files and frame folders, skipping the folder ``exclude``) or
    a ``.txt`` list of paths (relative ones resolved against the list's
    folder)."""
    if osp.isfile(src) and src.lower().endswith('.txt'):
        base = osp.dirname(osp.abspath(src))
        with open(src) as f:
            paths = [ln.strip() for ln in f if ln.strip()
                     and not ln.startswith('#')]
        out = []
        for p in paths:
            full = p if osp.isabs(p) else osp.join(base, p)
            rel = osp.relpath(full, base)
            if rel.startswith('..'):
                rel = osp.basename(full)
            out.append((full, osp.splitext(rel)[0] if osp.isfile(full)
                        else rel))
        return out
    if osp.isfile(src):
        return [(src, osp.splitext(osp.basename(src))[0])]
    if not osp.isdir(src):
        raise FileNotFoundError(f'{src}: not a video, a frame folder, a '
                                'folder of clips or a .txt list of clips.')
    if _is_frame_folder(src):
        return [(src, osp.basename(osp.normpath(src)))]
    out = []
    skip = osp.realpath(exclude) if exclude else None
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for d in list(dirs):
            full = osp.join(root, d)
            if skip and osp.realpath(full) == skip:
                dirs.remove(d)
            elif _is_frame_folder(full):
                out.append((full, osp.relpath(full, src)))
                dirs.remove(d)
        for n in sorted(files):
            if n.lower().endswith(VIDEO_EXTENSIONS):
                full = osp.join(root, n)
                out.append((full, osp.splitext(osp.relpath(full, src))[0]))
    return sorted(out)


def output_path(out_dir: str, rel: str, fmt: str) -> str:
    return osp.join(out_dir, rel + ('.mp4' if fmt == 'mp4' else ''))


def settings_key(cropper_cfg: Dict, fmt: str) -> str:
    """The settings a finished output was made with (compared on
    resume)."""
    return json.dumps(dict(cropper_cfg, fmt=fmt), sort_keys=True,
                      default=str)


def _crops(cropper: FaceCropper, src: str, track):
    """Pass 2: the crops, checking that the clip decodes to as many frames
    as in pass 1 (raised before the output is renamed into place)."""
    n = len(track.sides)
    t = -1
    for t, frame in enumerate(iter_frames(src)):
        if t >= n:
            break
        yield cropper.crop_frame(frame, track, t)
    if t + 1 != n:
        raise OSError(f'{src}: decoded {n} frames, then {t + 1}; the file '
                      'changed or decodes unreliably')


def process_clip(cropper: FaceCropper, src: str, out: str,
                 resume: bool = True, settings: str = '') -> Dict:
    """Crop one clip; a record dict with ``status`` ``done``, ``skipped``
    or ``failed`` (and ``reason``)."""
    record_path = out + RECORD_SUFFIX
    if resume and osp.exists(out) and osp.isfile(record_path):
        with open(record_path) as f:
            record = json.load(f)
        if record.get('settings') == settings:
            return dict(record, status='skipped')
    try:
        track = cropper.track_detections(cropper.detect_all(
            iter_frames(src)), src)
        fps = clip_fps(src)
        write_clip(_crops(cropper, src, track), out, fps=fps)
    except (OSError, NoFaceError) as e:  # unreadable, no face, write error
        return dict(input=src, status='failed', reason=str(e))
    except Exception as e:  # one bad clip must not end the run
        return dict(input=src, status='failed',
                    reason=f'{type(e).__name__}: {e}')
    record = dict(input=src, output=out, fps=round(fps, 3), **track.stats(),
                  settings=settings)
    with atomic_path(record_path) as tmp, open(tmp, 'w') as f:
        json.dump(record, f, indent=1)
    return dict(record, status='done')


_WORKER: Dict = {}


def _init_worker(cropper_cfg: Dict) -> None:
    import cv2
    cv2.setNumThreads(1)
    _WORKER['cropper'] = FaceCropper(**cropper_cfg)


def _run_job(job) -> Dict:
    return process_clip(_WORKER['cropper'], *job)


def _fmt_time(s: float) -> str:
    s = int(round(s))
    return f'{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}'


def _write_csv(path: str, fields: Sequence[str], rows: List[Dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(fields),
                           extrasaction='ignore')
        w.writeheader()
        w.writerows(rows)


def extract_faces(src: str, out_dir: str, cropper_cfg: Optional[Dict] = None,
                  fmt: str = 'mp4', workers: int = 1, resume: bool = True,
                  log: Callable[[str], None] = print) -> Dict:
    """Run the extraction; returns ``dict(done, skipped, failed)`` lists
    of records. ``cropper_cfg``: :class:`FaceCropper` arguments."""
    if fmt not in ('mp4', 'frames'):
        raise ValueError(f"fmt must be 'mp4' or 'frames', got {fmt!r}")
    cropper_cfg = dict(cropper_cfg or {})
    inputs = find_inputs(src, exclude=out_dir)
    os.makedirs(out_dir, exist_ok=True)
    key = settings_key(cropper_cfg, fmt)
    jobs = [(p, output_path(out_dir, rel, fmt), resume, key)
            for p, rel in inputs]
    results = {'done': [], 'skipped': [], 'failed': []}
    start = time.time()

    def report(i, rec):
        results[rec['status']].append(rec)
        rate = i / max(time.time() - start, 1e-9)
        eta = (len(jobs) - i) / rate
        what = (rec['reason'] if rec['status'] == 'failed' else
                f"{rec['face_frames']}/{rec['frames']} frames with a face")
        log(f'[{i}/{len(jobs)}] {rate:.2f} clips/s ETA {_fmt_time(eta)} '
            f'{rec["status"]}: {rec["input"]} ({what})')

    cropper = FaceCropper(**cropper_cfg)  # bad arguments fail here, once
    if workers <= 1:
        for i, job in enumerate(jobs, 1):
            report(i, process_clip(cropper, *job))
    else:
        # spawn, not fork: a forked child can inherit a lock held by one of
        # the parent's threads (OpenCV's pool, torch) and hang for ever
        with ProcessPoolExecutor(workers, mp_context=mp.get_context('spawn'),
                                 initializer=_init_worker,
                                 initargs=(cropper_cfg,)) as ex:
            futures = [ex.submit(_run_job, j) for j in jobs]
            for i, fut in enumerate(as_completed(futures), 1):
                report(i, fut.result())
    finished = sorted(results['done'] + results['skipped'],
                      key=lambda r: r['input'])
    _write_csv(osp.join(out_dir, 'manifest.csv'), MANIFEST_FIELDS, finished)
    _write_csv(osp.join(out_dir, 'failures.csv'), ('input', 'reason'),
               sorted(results['failed'], key=lambda r: r['input']))
    log(f'{len(results["done"])} done, {len(results["skipped"])} skipped '
        f'(already finished), {len(results["failed"])} failed in '
        f'{_fmt_time(time.time() - start)}; manifest: '
        f'{osp.join(out_dir, "manifest.csv")}, failures: '
        f'{osp.join(out_dir, "failures.csv")}')
    return results
