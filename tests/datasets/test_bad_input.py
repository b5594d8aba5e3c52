"""Bad annotation input is refused when the dataset is built (before any
worker starts), naming the file, the line and the fix."""
import pytest

from dfertools.datasets import DFERDataset
from dfertools.datasets.annotations import (FORMATS, AnnotationError,
                                            parse_annotation)


def _write(tmp_path, text, name='ann.txt'):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


@pytest.mark.parametrize('text, fmt, line, classes', [
    ('a 1\nb 7\n', 'path_label', 2, 7),
    ('a 8 1\n# c\nb 8 -1\n', 'path_frames_label', 3, 7),
    ('a 1\nb 11\n', 'path_label', 2, 11),          # MAFW has 11
    ('video_name,label\n1,1\n2,8\n', 'dfew_csv', 3, 7),
])
def test_label_out_of_range_at_load_time(tmp_path, text, fmt, line, classes):
    ann = _write(tmp_path, text)
    name = 'mafw' if classes == 11 else 'dfew'
    with pytest.raises(AnnotationError) as info:
        DFERDataset(ann, dataset_name=name)
    msg = str(info.value)
    assert f'{ann}:{line}:' in msg and str(classes) in msg
    assert fmt in msg and 'data_preparation' in msg


def test_unknown_format_names_file_and_lists_formats(tmp_path):
    ann = _write(tmp_path, 'a 1\n')
    with pytest.raises(AnnotationError) as info:
        DFERDataset(ann, ann_format='csv')
    msg = str(info.value)
    assert msg.startswith(f'{ann}: unknown ann_format') and "'auto'" in msg
    assert all(fmt in msg for fmt in FORMATS)


def test_non_utf8_names_the_line(tmp_path):
    ann = _write(tmp_path, b'a 1\nb\xff 2\n')
    with pytest.raises(AnnotationError, match=r'ann.txt:2: not UTF-8'):
        DFERDataset(ann)


def test_bom_and_crlf_are_accepted(tmp_path):
    ann = _write(tmp_path, b'\xef\xbb\xbfvideo_name,label\r\n1,2\r\n')
    recs = parse_annotation(ann)
    assert [(r.path, r.label, r.line) for r in recs] == [('00001', 1, 2)]


def test_class_name_format_without_classes(tmp_path):
    ann = _write(tmp_path, 'x/Happy/1 Happy\n')
    with pytest.raises(AnnotationError, match='ann.txt: .*dataset_name'):
        DFERDataset(ann, dataset_name=None)


def test_empty_annotation_file(tmp_path):
    ann = _write(tmp_path, '# only a comment\n\n')
    with pytest.raises(AnnotationError, match='ann.txt: .*no entries'):
        DFERDataset(ann)


@pytest.mark.parametrize('text, ann_format, line', [
    ('# VoxCeleb2 list\nid1/a.mp4\nid2/b.mp4\n', 'auto', 2),
    ('a.mp4 3\nb.mp4 0\n', 'unlabeled', 1),
])
def test_paths_only_list_for_a_labeled_dataset(tmp_path, text, ann_format,
                                               line):
    """A labeled dataset refuses a list without labels when it is built,
    naming the file, the line and the formats that carry labels (it used
    to read it as unlabeled and fail later with a TypeError)."""
    ann = _write(tmp_path, text)
    with pytest.raises(AnnotationError) as info:
        DFERDataset(ann, ann_format=ann_format)
    msg = str(info.value)
    assert msg.startswith(f'{ann}:{line}: no label for')
    assert 'DFERDataset needs a labeled list' in msg
    assert all(fmt in msg for fmt in FORMATS if fmt != 'unlabeled')
    assert 'UnlabeledVideoDataset' in msg and 'data_preparation' in msg
