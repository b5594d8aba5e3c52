"""Load every video of an annotation list the way training will, to find
the unreadable ones first (``tools/data/check_dataset.py``).

The list is parsed by ``DFERDataset`` in test mode (same formats, same
errors for a malformed list) and each video's clip is loaded at ``views``
evenly spaced positions (start ... end, so a truncated tail is caught)
through ``VideoInit`` -> ``DFERSampleFrames`` -> ``VideoDecode``. Several
videos are checked in parallel by :func:`~dfertools.utils.isolated_pool.
isolated_map` workers, so a video that kills its worker (a decoder crash)
is reported as unreadable instead of stopping the scan.
"""
import os.path as osp
from typing import Iterator, Optional, Tuple

from dfertools.utils.isolated_pool import isolated_map

_DATASET = None   # one per worker process


def build_check_dataset(opts: dict):
    """The dataset exactly as training parses ``opts['annotation']``, in
    test mode (errors propagate instead of being substituted). ``opts``:
    annotation, data_root, data_prefix, format, dataset_name, clip_len,
    frame_interval, views, decode_timeout (0: none)."""
    from mmengine.registry import init_default_scope

    from .dfer_dataset import DFERDataset
    init_default_scope('dfertools')
    pipeline = [
        dict(type='VideoInit'),
        dict(type='DFERSampleFrames', clip_len=opts['clip_len'],
             frame_interval=opts['frame_interval'], test_mode=True,
             num_views=opts['views']),
        dict(type='VideoDecode'),
    ]
    return DFERDataset(osp.abspath(opts['annotation']),
                       pipeline=pipeline, data_root=opts['data_root'],
                       data_prefix=dict(video=opts['data_prefix']),
                       ann_format=opts['format'],
                       dataset_name=opts['dataset_name'],
                       num_views=opts['views'], test_mode=True,
                       decode_timeout=opts['decode_timeout'] or None)


def _init_worker(opts: dict) -> None:
    global _DATASET
    _DATASET = build_check_dataset(opts)


def _where(dataset, video: int) -> Tuple[str, int]:
    info = dataset.get_data_info(video * dataset.num_views)
    return info['filename'], info['ann_line']


def _check(ds, video: int) -> Tuple[int, str, Optional[str]]:
    path, line = _where(ds, video)
    for view in range(ds.num_views):
        try:
            ds[video * ds.num_views + view]
        except Exception as err:  # report anything that stops a load
            return (video, path, f'{type(err).__name__}: '
                    f'{" ".join(str(err).split())} (annotation line {line})')
    return video, path, None


def check_video(video: int) -> Tuple[int, str, Optional[str]]:
    """``(video, path, reason or None)`` after loading all its views, with
    the dataset of this worker process (:func:`_init_worker`)."""
    return _check(_DATASET, video)


def check_videos(opts: dict, dataset, workers: int
                 ) -> Iterator[Tuple[int, str, Optional[str]]]:
    """``check_video`` for every video of ``dataset`` (built from
    ``opts``), in completion order; with ``workers > 1`` in that many
    worker processes, a video whose worker dies reported with how it
    died."""
    num_videos = len(dataset) // dataset.num_views
    if workers <= 1:   # in this process, with the dataset already built
        for video in range(num_videos):
            yield _check(dataset, video)
        return
    for video, result, failure in isolated_map(
            check_video, range(num_videos), workers, _init_worker, (opts, )):
        if failure is None:
            yield result
        else:
            path, line = _where(dataset, video)
            yield video, path, (f'the check stopped: {failure} '
                                f'(annotation line {line})')
