"""Shared helpers of the ``tools/data`` converters from official DFER
releases to ``path num_frames label`` lists (docs/data_preparation.md)."""
import os
import os.path as osp
from typing import Iterable, List, Sequence, Tuple

from .annotations import AnnotationRecord, DATA_DOC
from .transforms.loading import list_frames, resolve_path


def require(path: str, what: str, layout: str) -> str:
    """Return ``path`` or raise ``FileNotFoundError`` describing ``layout``."""
    if not osp.exists(path):
        raise FileNotFoundError(
            f'{what} not found: {path}\nExpected the official layout:\n'
            f'{layout}\nSee {DATA_DOC}.')
    return path


def count_frames(path: str) -> int:
    """Frames of a frame folder or video file (``path`` may lack the
    video extension)."""
    path = resolve_path(path)
    if osp.isdir(path):
        return len(list_frames(path))
    import decord
    return len(decord.VideoReader(path))


def to_frame_records(records: Iterable[AnnotationRecord], video_dir: str,
                     rel_path=lambda p: p) -> List[Tuple[str, int, int]]:
    """``(relative path, frame count, label)`` per record; the relative path
    (``rel_path(record.path)``) is resolved under ``video_dir``. Missing or
    empty videos raise, naming the annotation line."""
    rows = []
    for rec in records:
        rel = rel_path(rec.path)
        full = osp.join(video_dir, rel)
        try:
            n = count_frames(full)
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f'line {rec.line} ({rec.path!r}): {err}') from None
        if n == 0:
            raise ValueError(f'{full}: no frames (line {rec.line}).')
        rows.append((rel, n, rec.label))
    return rows


def write_frame_list(path: str, rows: Sequence[Tuple[str, int, int]]
                     ) -> None:
    """Write ``path num_frames label`` lines."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        for rel, n, label in rows:
            f.write(f'{rel} {n} {label}\n')
    print(f'wrote {len(rows)} entries to {path}')
