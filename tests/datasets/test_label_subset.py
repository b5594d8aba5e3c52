"""The low-label regime: a seeded, class-stratified fraction of a list."""
import collections

import pytest

from dfertools.datasets import DFERDataset, UnlabeledVideoDataset
from dfertools.datasets.label_subset import stratified_subset

# 7 classes of very different sizes, as in DFEW's folds
COUNTS = [81, 60, 74, 59, 34, 5, 1]
LABELS = [c for c, n in enumerate(COUNTS) for _ in range(n)][::-1]
ITEMS = [f'v{i:03d}' for i in range(len(LABELS))]


def _counts(items):
    label_of = dict(zip(ITEMS, LABELS))
    return collections.Counter(label_of[i] for i in items)


@pytest.mark.parametrize('fraction', [0.1, 0.25, 0.5, 0.9])
def test_each_class_keeps_its_rounded_share_and_the_list_order(fraction):
    kept = stratified_subset(ITEMS, LABELS, fraction, seed=3)
    counts = _counts(kept)
    for c, n in enumerate(COUNTS):
        assert counts[c] == max(1, round(fraction * n)), (c, n)
    positions = [ITEMS.index(i) for i in kept]
    assert positions == sorted(positions)


def test_the_seed_decides_which_videos_and_nothing_else_does():
    a = stratified_subset(ITEMS, LABELS, 0.5, seed=0)
    assert a == stratified_subset(list(ITEMS), list(LABELS), 0.5, seed=0)
    b = stratified_subset(ITEMS, LABELS, 0.5, seed=1)
    assert a != b and _counts(a) == _counts(b)


def test_full_fraction_keeps_all_and_bad_input_is_refused():
    assert stratified_subset(ITEMS, LABELS, 1.0) == ITEMS
    for bad in (0, -0.5, 1.5):
        with pytest.raises(ValueError, match='label_fraction'):
            stratified_subset(ITEMS, LABELS, bad)
    with pytest.raises(ValueError, match='labels'):
        stratified_subset(ITEMS, LABELS[:-1], 0.5)


def _annotation(tmp_path):
    ann = tmp_path / 'train.txt'
    ann.write_text(''.join(f'{i}.mp4 {c}\n' for i, c in zip(ITEMS, LABELS)))
    return str(ann)


def test_dataset_keeps_the_stratified_half_with_all_its_views(tmp_path):
    full = DFERDataset(_annotation(tmp_path), check_paths=0)
    half = DFERDataset(_annotation(tmp_path), check_paths=0,
                       label_fraction=0.5, num_views=2)
    infos = [full.get_data_info(i) for i in range(len(full))]
    want = stratified_subset([d['video_id'] for d in infos],
                             [d['label'] for d in infos], 0.5)
    got = [half.get_data_info(i) for i in range(len(half))]
    assert [g['video_id'] for g in got[::2]] == want
    assert [g['view_id'] for g in got] == [0, 1] * len(want)


def test_unlabeled_list_refuses_a_label_fraction(tmp_path):
    ann = tmp_path / 'u.txt'
    ann.write_text('a.mp4\nb.mp4\n')
    with pytest.raises(ValueError, match='needs labels'):
        UnlabeledVideoDataset(str(ann), check_paths=0, label_fraction=0.5)
    assert len(UnlabeledVideoDataset(str(ann), check_paths=0)) == 2
