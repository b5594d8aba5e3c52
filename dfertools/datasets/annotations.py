"""Parsers for the DFER annotation formats (docs/design.md,
'Annotation formats').

Every parser turns an annotation file into a list of
:class:`AnnotationRecord` (path as written, 0-based label or ``None``,
frame count or ``None``, 1-based line number). Formats:

``path_label``
    ``path label`` — space separated, no header (MAE-DFER style).
``path_frames_label``
    ``path num_frames label`` (DFER-CLIP / Former-DFER style).
``dfew_csv``
    the official DFEW ``set_k.csv``: header ``video_name,label``, labels
    1–7 (shifted to 0–6). Purely numeric names are zero-padded to five
    digits (``1`` -> ``00001``), the folder/file names of the release.
``ferv39k``
    ``path ClassName`` — the official FERV39k lists
    (``Scene/Emotion/clip EmotionName``); the same shape is used by MAFW's
    official ``set_k/train.txt`` (``00025.mp4 anger``). Class names are
    matched case-insensitively against the dataset's classes.
``unlabeled``
    ``path`` or ``path 0`` (VoxCeleb2 pretraining lists).

Blank lines and lines starting with ``#`` are skipped. A malformed line
raises :class:`AnnotationError` (a ``ValueError``) naming the file, the line
number and the expected format. ``ann_format='auto'`` picks the format from
the first data line (:func:`detect_format`).
"""
import csv
import os.path as osp
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

from .classes import class_index
from .errors import DATA_DOC

FORMATS = ('path_label', 'path_frames_label', 'dfew_csv', 'ferv39k',
           'unlabeled')

EXPECTED = {
    'path_label': "'path label' (space separated, integer label)",
    'path_frames_label': "'path num_frames label' (integers)",
    'dfew_csv': "csv with header 'video_name,label' and labels 1-7",
    'ferv39k': "'path ClassName' (e.g. 'Scene/Angry/0001 Angry')",
    'unlabeled': "'path' or 'path 0'",
}


class AnnotationRecord(NamedTuple):
    """One annotated video: ``path`` exactly as written in the file."""
    path: str
    label: Optional[int]
    num_frames: Optional[int]
    line: int


class AnnotationError(ValueError):
    """A malformed annotation line (message names file, line and format)."""


def _fail(ann_file: str, line_no: int, fmt: str, line: str,
          why: str = '') -> AnnotationError:
    why = f' ({why})' if why else ''
    return AnnotationError(
        f'{ann_file}:{line_no}: malformed line {line.strip()!r}{why}; '
        f'expected the {fmt!r} format: {EXPECTED[fmt]}. '
        f'See {DATA_DOC}.')


def _read_lines(ann_file: str) -> List[str]:
    """The file's lines (UTF-8, a leading BOM dropped, split at ``\\n``,
    ``\\r\\n`` or ``\\r`` like an editor counts them); undecodable bytes
    raise :class:`AnnotationError` naming the line."""
    with open(ann_file, 'rb') as f:
        data = f.read()
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as err:
        line_no = data[:err.start].count(b'\n') + 1
        raise AnnotationError(
            f'{ann_file}:{line_no}: not UTF-8 text ({err.reason} at byte '
            f'{err.start}); annotation files must be UTF-8 (re-save the '
            f'file as UTF-8, or check that this is the annotation file). '
            f'See {DATA_DOC}.') from None
    return text.replace('\r\n', '\n').replace('\r', '\n').split('\n')


def _data_lines(ann_file: str):
    """Yield ``(line_no, stripped_line)`` of non-empty, non-comment lines."""
    for line_no, line in enumerate(_read_lines(ann_file), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith('#'):
            yield line_no, stripped


def _as_int(token: str) -> Optional[int]:
    try:
        return int(token)
    except ValueError:
        return None


def _check_label(label: int, num_classes: Optional[int], ann_file: str,
                 line_no: int, fmt: str, line: str) -> int:
    if num_classes is not None and not 0 <= label < num_classes:
        raise _fail(ann_file, line_no, fmt, line,
                    f'label {label} out of range for {num_classes} classes')
    if label < 0:
        raise _fail(ann_file, line_no, fmt, line,
                    f'label {label} is negative (labels are 0-based)')
    return label


def parse_path_label(ann_file: str, classes: Optional[Sequence[str]] = None
                     ) -> List[AnnotationRecord]:
    num_classes = len(classes) if classes else None
    records = []
    for line_no, line in _data_lines(ann_file):
        parts = line.rsplit(maxsplit=1)
        label = _as_int(parts[-1]) if len(parts) == 2 else None
        if label is None:
            raise _fail(ann_file, line_no, 'path_label', line)
        _check_label(label, num_classes, ann_file, line_no, 'path_label',
                     line)
        records.append(AnnotationRecord(parts[0], label, None, line_no))
    return records


def parse_path_frames_label(ann_file: str,
                            classes: Optional[Sequence[str]] = None
                            ) -> List[AnnotationRecord]:
    num_classes = len(classes) if classes else None
    fmt = 'path_frames_label'
    records = []
    for line_no, line in _data_lines(ann_file):
        parts = line.rsplit(maxsplit=2)
        ints = [_as_int(p) for p in parts[1:]] if len(parts) == 3 else [None]
        if None in ints:
            raise _fail(ann_file, line_no, fmt, line)
        num_frames, label = ints
        if num_frames < 1:
            raise _fail(ann_file, line_no, fmt, line,
                        f'num_frames {num_frames} < 1')
        _check_label(label, num_classes, ann_file, line_no, fmt, line)
        records.append(AnnotationRecord(parts[0], label, num_frames, line_no))
    return records


def parse_dfew_csv(ann_file: str, classes: Optional[Sequence[str]] = None
                   ) -> List[AnnotationRecord]:
    num_classes = len(classes) if classes else 7
    fmt = 'dfew_csv'
    records = []
    rows = [(i, r) for i, r in enumerate(csv.reader(_read_lines(ann_file)),
                                          start=1)
            if r and any(c.strip() for c in r)]
    if not rows or [c.strip() for c in rows[0][1]] != ['video_name', 'label']:
        line_no, row = rows[0] if rows else (1, [])
        raise _fail(ann_file, line_no, fmt, ','.join(row),
                    "first line must be the header 'video_name,label'")
    for line_no, row in rows[1:]:
        line = ','.join(row)
        label = _as_int(row[1].strip()) if len(row) == 2 else None
        if label is None or not row[0].strip():
            raise _fail(ann_file, line_no, fmt, line)
        if not 1 <= label <= num_classes:
            raise _fail(ann_file, line_no, fmt, line,
                        f'label {label} outside 1-{num_classes}')
        name = row[0].strip()
        if name.isdigit():
            name = name.zfill(5)
        records.append(AnnotationRecord(name, label - 1, None, line_no))
    return records


def parse_class_name(ann_file: str, classes: Optional[Sequence[str]] = None
                     ) -> List[AnnotationRecord]:
    if not classes:
        raise AnnotationError(
            f'{ann_file}: the ferv39k format (class names as labels) needs '
            'the class list: set dataset_name (e.g. ferv39k, mafw) or '
            f'classes in the dataset config. See {DATA_DOC}.')
    records = []
    for line_no, line in _data_lines(ann_file):
        parts = line.rsplit(maxsplit=1)
        label = class_index(parts[-1], classes) if len(parts) == 2 else None
        if label is None:
            raise _fail(ann_file, line_no, 'ferv39k', line,
                        f'class name must be one of {list(classes)}')
        records.append(AnnotationRecord(parts[0], label, None, line_no))
    return records


def parse_unlabeled(ann_file: str, classes: Optional[Sequence[str]] = None
                    ) -> List[AnnotationRecord]:
    records = []
    for line_no, line in _data_lines(ann_file):
        parts = line.split()
        if len(parts) == 2 and _as_int(parts[1]) is not None:
            parts = parts[:1]
        if len(parts) != 1:
            raise _fail(ann_file, line_no, 'unlabeled', line)
        records.append(AnnotationRecord(parts[0], None, None, line_no))
    return records


PARSERS: Dict[str, Callable[..., List[AnnotationRecord]]] = {
    'path_label': parse_path_label,
    'path_frames_label': parse_path_frames_label,
    'dfew_csv': parse_dfew_csv,
    'ferv39k': parse_class_name,
    'unlabeled': parse_unlabeled,
}


def detect_format(ann_file: str) -> str:
    """Guess the format of ``ann_file`` from its first data line.

    ``video_name,label`` header -> ``dfew_csv``; one token -> ``unlabeled``;
    ``path int`` -> ``path_label`` (so ``path 0`` lists read as labeled;
    :class:`UnlabeledVideoDataset` drops the labels); ``path word`` ->
    ``ferv39k``; ``path int int`` -> ``path_frames_label``.
    """
    for line_no, line in _data_lines(ann_file):
        if line.replace(' ', '').lower().startswith('video_name,label'):
            return 'dfew_csv'
        parts = line.split()
        if len(parts) == 1:
            return 'unlabeled'
        if len(parts) == 2:
            return ('path_label' if _as_int(parts[1]) is not None
                    else 'ferv39k')
        if len(parts) == 3 and all(_as_int(p) is not None for p in parts[1:]):
            return 'path_frames_label'
        raise AnnotationError(
            f'{ann_file}:{line_no}: cannot detect the annotation format of '
            f'{line!r}; expected one of: ' +
            '; '.join(f'{k}: {v}' for k, v in EXPECTED.items()) +
            f'. Name it with ann_format=... See {DATA_DOC}.')
    raise AnnotationError(f'{ann_file}: the annotation file has no entries. '
                          f'See {DATA_DOC}.')


LABELED_FORMATS = tuple(f for f in FORMATS if f != 'unlabeled')


def require_labels(records: Sequence[AnnotationRecord], ann_file: str,
                   dataset: str) -> None:
    """Refuse a list without labels for a labeled dataset, naming the
    first unlabeled line and the formats that carry labels."""
    for rec in records:
        if rec.label is None:
            raise AnnotationError(
                f'{ann_file}:{rec.line}: no label for {rec.path!r}; '
                f'{dataset} needs a labeled list, but this file reads as '
                "the 'unlabeled' format (paths only). Expected one of: " +
                '; '.join(f'{k}: {EXPECTED[k]}' for k in LABELED_FORMATS) +
                '. For an unlabeled list (pretraining) use '
                f'UnlabeledVideoDataset. See {DATA_DOC}.')


def parse_annotation(ann_file: str, ann_format: str = 'auto',
                     classes: Optional[Sequence[str]] = None
                     ) -> List[AnnotationRecord]:
    """Parse ``ann_file`` in ``ann_format`` (or auto-detect it).

    Raises:
        FileNotFoundError: the file does not exist.
        AnnotationError: a malformed or non-UTF-8 line, an out-of-range
            label, an unknown ``ann_format``, or class names missing for
            the ``ferv39k`` format.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(
            f'Annotation file not found: {ann_file}. Prepare it as described '
            f'in {DATA_DOC} (or fix ann_file / data_root in the config).')
    if ann_format == 'auto':
        ann_format = detect_format(ann_file)
    if ann_format not in PARSERS:
        raise AnnotationError(
            f'{ann_file}: unknown ann_format {ann_format!r}; expected '
            "'auto' (detect from the first line) or one of: " +
            '; '.join(f'{k}: {v}' for k, v in EXPECTED.items()) +
            f'. See {DATA_DOC}.')
    return PARSERS[ann_format](ann_file, classes)
