"""The dataset's early check that its listed videos are where the config
says: :func:`check_sample_paths`.

A wrong ``data_root`` or ``data_prefix`` otherwise shows up only inside a
dataloader worker, one "Video not found" per sample. Building a dataset
looks at the first few distinct videos of its list; when none of them
exists, it raises one :class:`FileNotFoundError` that names the annotation
file, ``data_root``, ``data_prefix['video']`` and the paths tried, and, when
the first listed path exists under another folder of ``data_root``, the
``data_prefix`` that would find it. A single missing video among them is
left to the training-time bad-sample handling (it is a damaged release, not
a wrong setting).
"""
import os
import os.path as osp
from typing import List, Optional, Sequence

from .errors import DATA_DOC
from .transforms.loading import resolve_path

# Folders of data_root visited when looking for a better data_prefix.
_MAX_DEPTH = 3
_MAX_FOLDERS = 2000


def _exists(path: str) -> bool:
    try:
        resolve_path(path)
    except FileNotFoundError:
        return False
    return True


def _first_distinct(data_list: Sequence[dict], num: int) -> List[dict]:
    seen, out = set(), []
    for info in data_list:
        if info['filename'] not in seen:
            seen.add(info['filename'])
            out.append(info)
            if len(out) == num:
                break
    return out


def find_prefix(data_root: str, rel_path: str) -> Optional[str]:
    """The folder of ``data_root`` (relative to it, ``''`` for the root
    itself; breadth first, at most ``_MAX_DEPTH`` levels and
    ``_MAX_FOLDERS`` folders) under which ``rel_path`` exists, or ``None``."""
    if osp.isabs(rel_path) or not osp.isdir(data_root):
        return None
    level, visited = [data_root], 0
    for _ in range(_MAX_DEPTH + 1):
        below = []
        for folder in level:
            if _exists(osp.join(folder, rel_path)):
                rel = osp.relpath(folder, data_root)
                return '' if rel == '.' else rel
            visited += 1
            if visited >= _MAX_FOLDERS:
                return None
            try:
                below.extend(sorted(e.path for e in os.scandir(folder)
                                    if e.is_dir()))
            except OSError:
                continue
        level = below[:_MAX_FOLDERS]
    return None


def check_sample_paths(data_list: Sequence[dict], ann_file: str,
                       data_root: str, prefix: str, num: int = 3) -> None:
    """Raise ``FileNotFoundError`` when none of the first ``num`` distinct
    videos of ``data_list`` (items with ``filename`` and ``video_id``)
    exists; ``prefix`` is ``data_prefix['video']`` as configured (before
    mmengine joined it with ``data_root``). ``num=0`` disables the check."""
    first = _first_distinct(data_list, num) if num > 0 else []
    if not first or any(_exists(i['filename']) for i in first):
        return
    tried = ', '.join(i['filename'] for i in first)
    video_id = first[0]['video_id']
    found = find_prefix(data_root, video_id) if data_root else None
    hint = ''
    if found is not None and found != prefix:
        hint = (f' {video_id!r} exists under '
                f'{osp.join(data_root, found)}: set data_prefix='
                f'dict(video={found!r}) or regenerate the list with the '
                'tools/data converter (it writes paths relative to '
                'data_root).')
    raise FileNotFoundError(
        f'None of the first {len(first)} videos listed in {ann_file} exist '
        f'(tried {tried}), with data_root={data_root!r} and '
        f'data_prefix=dict(video={prefix!r}).{hint} Fix data_root / '
        'data_prefix in the dataset config (or --cfg-options '
        'train_dataloader.dataset.data_root=DIR, likewise for val/test); '
        f'see {DATA_DOC}.')
