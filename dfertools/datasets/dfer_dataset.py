"""Video-list datasets for DFER: :class:`DFERDataset` (labeled) and
:class:`UnlabeledVideoDataset` (pretraining). See
docs/design.md, 'Data decisions' and 'Reliability principles'.

One item = one view of one video (docs/developer_guide.md, "Data samples"):
with ``num_views=N`` every annotated video expands to ``N`` consecutive
items that differ only in ``view_id`` (0..N-1); the sampling transform
(``DFERSampleFrames``) turns ``view_id`` into a temporal window. Each item
carries ``filename`` (``data_prefix['video']`` joined with the annotated
path), ``video_id`` (the path exactly as written in the annotation),
``ann_line`` (its 1-based line in the annotation file), ``view_id``,
``num_views`` and, when labeled, ``label``.

Reliability choice (docs/design.md, 'Reliability principles'): in training, a
video that cannot be read
(:class:`CorruptVideoError` or ``OSError`` from the pipeline) is logged once
per file and process, counted and replaced by a deterministic substitute —
the next video in the list, then the one after (a function of the index
alone, so the same for any number of workers). The counts are shared with
the main process through :class:`~.bad_samples.BadSampleCounter`
(``self.bad_samples``): more than ``max_bad_fraction`` failed loads abort
the run with a summary — in the workers once ``bad_fraction_min_samples``
loads were attempted, and at every epoch end through
:class:`~.bad_sample_hook.BadSampleHook`, which also reports the epoch's
count and writes the paths to ``<work_dir>/bad_samples.txt``.
``max_consecutive_failures`` unreadable items in a row mean a broken setup
(wrong ``data_prefix``) and raise at once. At test time nothing is
substituted: the error propagates, because a swapped sample would silently
change the metric.

Loading one item gets ``decode_timeout`` seconds (default 60; ``None``
disables it): it runs in a helper thread and, when the time is up, counts as
unreadable (:class:`~.errors.DecodeTimeoutError`), so a read that hangs in
C code (a stalled network mount) cannot stall the run. How, and what an
abandoned load costs: :mod:`.time_limit`.
"""
import logging
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from dfertools.registry import DATASETS
from .annotations import DATA_DOC, parse_annotation, require_labels
from .bad_samples import BadSampleCounter
from .classes import get_classes
from .clip_pipeline import PipelineSpec, resolve_pipeline
from .errors import CorruptVideoError
from .label_subset import check_fraction, stratified_subset
from .path_check import check_sample_paths
from .time_limit import call_with_time_limit

_READ_ERRORS = (CorruptVideoError, OSError)


@DATASETS.register_module()
class DFERDataset(BaseDataset):
    """A labeled DFER video list (DFEW, FERV39k, MAFW, SynthDFER).

    Args:
        ann_file: annotation file, relative to ``data_root`` unless
            absolute. May contain ``{fold}``, replaced by ``fold``.
        pipeline: transforms (configs or callables), or a pipeline
            description such as ``dict(type='DFERClipPipeline', ...)``
            (:mod:`.clip_pipeline`), expanded for ``test_mode`` and
            ``num_views``.
        data_root: dataset root; must exist when given.
        data_prefix: ``dict(video=...)``, the folder the annotated paths are
            relative to (joined with ``data_root``).
        ann_format: ``'auto'`` or one of ``annotations.FORMATS``.
        dataset_name: selects the class names (``classes.DATASET_CLASSES``);
            stored in ``metainfo['classes']``.
        classes: explicit class names, overriding ``dataset_name``.
        fold: the fold number substituted for ``{fold}`` in ``ann_file``
            (``--cfg-options train_dataloader.dataset.fold=2``).
        num_views: test-time temporal views per video (each its own item).
        max_consecutive_failures: see the module docstring.
        max_bad_fraction: abort training when more than this fraction of
            the sample loads fail (default 0.01; 1.0 disables).
        bad_fraction_min_samples: loads attempted (all workers together)
            before the in-worker fraction check may abort.
        decode_timeout: seconds one item may take to load before it counts
            as unreadable (``None``: no limit); see the module docstring.
        check_paths: when none of the first ``check_paths`` listed videos
            exists, building the dataset raises one error naming
            ``data_root`` and ``data_prefix`` (:mod:`.path_check`); 0
            disables the check.
        label_fraction: keep a class-stratified fraction of the listed
            videos (``label_seed`` draws them; :mod:`.label_subset`): the
            low-label regime. 1 keeps all; labeled lists only.
        label_seed: seed of that draw.
    """
    labeled = True

    def __init__(self,
                 ann_file: str,
                 pipeline: PipelineSpec = (),
                 data_root: str = '',
                 data_prefix: Optional[dict] = None,
                 ann_format: str = 'auto',
                 dataset_name: Optional[str] = 'dfew',
                 classes: Optional[Sequence[str]] = None,
                 fold: Optional[int] = None,
                 num_views: int = 1,
                 test_mode: bool = False,
                 max_consecutive_failures: int = 50,
                 max_bad_fraction: float = 0.01,
                 bad_fraction_min_samples: int = 500,
                 decode_timeout: Optional[float] = 60.0,
                 check_paths: int = 3,
                 label_fraction: float = 1.0,
                 label_seed: int = 0,
                 **kwargs) -> None:
        if data_root and not osp.isdir(data_root):
            raise FileNotFoundError(
                f'Data root not found: {data_root}. Download/prepare the '
                f'dataset as described in {DATA_DOC}, or set data_root in '
                'the config (--cfg-options ...dataset.data_root=DIR).')
        if num_views < 1:
            raise ValueError(f'num_views must be >= 1, got {num_views}')
        if decode_timeout is not None and not decode_timeout > 0:
            raise ValueError('decode_timeout must be > 0 seconds or None (no '
                             f'limit), got {decode_timeout}')
        self.label_fraction = check_fraction(label_fraction)
        if self.label_fraction < 1 and not self.labeled:
            raise ValueError(f'{type(self).__name__}: label_fraction needs '
                             'labels; an unlabeled list keeps every video')
        self.label_seed = label_seed
        self.decode_timeout = decode_timeout
        self.check_paths = check_paths
        self._video_prefix = (data_prefix or {}).get('video', '')
        self.fold = fold
        self.ann_format = ann_format
        self.num_views = num_views
        self.max_consecutive_failures = max_consecutive_failures
        self.num_failures = 0
        self._consecutive_failures = 0
        self.bad_samples = BadSampleCounter(max_bad_fraction,
                                            bad_fraction_min_samples)
        if classes is None and dataset_name is not None:
            classes = get_classes(dataset_name)
        self.class_names = tuple(classes) if classes else None
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if self.class_names is not None:
            metainfo.setdefault('classes', self.class_names)
        if dataset_name is not None:
            metainfo.setdefault('dataset_name', dataset_name)
        super().__init__(
            ann_file=self._format_fold(ann_file, fold),
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=dict(video='') if data_prefix is None
            else dict(data_prefix),
            pipeline=resolve_pipeline(pipeline, test_mode, num_views),
            test_mode=test_mode,
            **kwargs)

    @staticmethod
    def _format_fold(ann_file: str, fold: Optional[int]) -> str:
        if '{fold}' not in ann_file:
            return ann_file
        if fold is None:
            raise ValueError(
                f'ann_file {ann_file!r} contains {{fold}} but fold is not '
                'set; pass fold=K (e.g. --cfg-options '
                'train_dataloader.dataset.fold=1).')
        return ann_file.replace('{fold}', str(fold))

    def load_data_list(self) -> List[dict]:
        records = parse_annotation(self.ann_file, self.ann_format,
                                   self.class_names)
        if self.labeled:
            require_labels(records, self.ann_file, type(self).__name__)
        if self.label_fraction < 1:
            total = len(records)
            records = stratified_subset(records, [r.label for r in records],
                                        self.label_fraction, self.label_seed)
            print_log(f'{self.ann_file}: {len(records)} of {total} videos '
                      f'(label_fraction={self.label_fraction}, stratified '
                      f'by class, label_seed={self.label_seed})',
                      logger='current')
        prefix = self.data_prefix.get('video', '')
        data_list = []
        for rec in records:
            base = dict(filename=osp.join(prefix, rec.path),
                        video_id=rec.path, num_views=self.num_views,
                        ann_line=rec.line,
                        modality='RGB')  # read by mmaction's Flip
            if rec.num_frames is not None:
                base['ann_num_frames'] = rec.num_frames
            if self.labeled:
                base['label'] = rec.label
            for view_id in range(self.num_views):
                data_list.append(dict(base, view_id=view_id))
        check_sample_paths(data_list, self.ann_file, self.data_root,
                           self._video_prefix, self.check_paths)
        return data_list

    def _load(self, idx: int):
        """``prepare_data(idx)`` within ``decode_timeout``."""
        return call_with_time_limit(
            lambda: self.prepare_data(idx), self.decode_timeout,
            lambda: self.get_data_info(idx)['filename'])

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        if self.test_mode:
            return self._load(idx)
        item = idx
        for attempt in range(self.max_refetch + 1):
            self.bad_samples.record_attempt()
            try:
                data = self._load(item)
            except _READ_ERRORS as err:
                self._record_failure(item, err)
                data = None
            if data is not None:
                self._consecutive_failures = 0
                return data
            item = self._substitute(idx, attempt)
        raise RuntimeError(f'No readable sample after {self.max_refetch} '
                           f'substitutions (last index {item}).')

    def _substitute(self, idx: int, attempt: int) -> int:
        """Deterministic replacement of item ``idx`` after ``attempt + 1``
        failures: the next video in the list, then the one after, ... (a
        function of ``idx`` alone, whatever the worker layout)."""
        step = self.num_views * (attempt + 1)
        return (idx + step) % len(self)

    def _record_failure(self, idx: int, err: Exception) -> None:
        self.num_failures += 1
        self._consecutive_failures += 1
        info = self.get_data_info(idx)
        filename = info['filename']
        if self.bad_samples.record_failure(filename, err):
            print_log(f'Unreadable video {filename} (listed at '
                      f'{self.ann_file}:{info["ann_line"]}: {err}); '
                      'substituting '
                      f'another sample ({self.num_failures} failures so '
                      'far in this process).', logger='current',
                      level=logging.WARNING)
        if self._consecutive_failures >= self.max_consecutive_failures:
            raise RuntimeError(
                f'{self._consecutive_failures} unreadable videos in a row '
                f'(last: {filename}: {err}). Check data_root/data_prefix; '
                f'see {DATA_DOC}.') from err
        self.bad_samples.check_early()


@DATASETS.register_module()
class UnlabeledVideoDataset(DFERDataset):
    """An unlabeled video list for masked-video pretraining (VoxCeleb2).

    Reads any annotation format (``path``, ``path 0``, or a labeled list
    whose labels are dropped); items carry no ``label``. Same arguments as
    :class:`DFERDataset`; ``dataset_name`` defaults to ``None``.
    """
    labeled = False

    def __init__(self, ann_file: str, *args, dataset_name=None,
                 **kwargs) -> None:
        super().__init__(ann_file, *args, dataset_name=dataset_name,
                         **kwargs)
