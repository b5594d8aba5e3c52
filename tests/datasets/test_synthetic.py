"""SynthDFER generator: determinism, decord readability, annotation files."""
import filecmp
import json
import os

import decord
import numpy as np
import pytest

from dfertools.datasets.annotations import parse_annotation
from dfertools.datasets.synthetic import (CLASSES, Difficulty,
                                          expression_track, render_clip,
                                          sample_identity)
from dfertools.datasets.synthetic_writer import class_counts, generate

ANN_FILES = (['all.txt', 'unlabeled.txt'] +
             [f'{s}_{k}.txt' for s in ('train', 'test') for k in range(1, 6)] +
             [f'dfew_csv/{s}/set_{k}.csv' for s in ('train', 'test')
              for k in range(1, 6)])


def _gen(path, seed, workers=1):
    return generate(str(path), seed=seed, num_labeled=10, num_unlabeled=3,
                    size=32, frames=(8, 12), workers=workers,
                    progress=False)


@pytest.fixture(scope='module')
def two_runs(tmp_path_factory):
    a = tmp_path_factory.mktemp('a')
    b = tmp_path_factory.mktemp('b')
    _gen(a, seed=7, workers=1)
    _gen(b, seed=7, workers=2)
    return str(a), str(b)


def _decode(path):
    reader = decord.VideoReader(path)
    return reader.get_batch(list(range(len(reader)))).asnumpy()


def test_same_seed_same_files_and_frames(two_runs):
    a, b = two_runs
    for name in ANN_FILES + ['../meta.json']:
        pa = os.path.join(a, 'annotations', name)
        assert filecmp.cmp(pa, os.path.join(b, 'annotations', name),
                           shallow=False), name
    for rec in parse_annotation(os.path.join(a, 'annotations/all.txt')):
        np.testing.assert_array_equal(_decode(os.path.join(a, rec.path)),
                                      _decode(os.path.join(b, rec.path)))


def test_other_seed_differs(two_runs, tmp_path):
    _gen(tmp_path, seed=8)
    assert not np.array_equal(
        _decode(os.path.join(two_runs[0], 'videos/00001.mp4'))[0],
        _decode(os.path.join(str(tmp_path), 'videos/00001.mp4'))[0])


def test_decord_reads_expected_count_and_size(two_runs):
    root = two_runs[0]
    recs = parse_annotation(os.path.join(root, 'annotations/all.txt'))
    assert len(recs) == 10
    for rec in recs:
        frames = _decode(os.path.join(root, rec.path))
        assert frames.shape == (rec.num_frames, 32, 32, 3)
        assert 8 <= rec.num_frames <= 12
    talk = parse_annotation(os.path.join(root, 'annotations/unlabeled.txt'))
    assert len(talk) == 3 and all(r.label is None for r in talk)
    assert _decode(os.path.join(root, talk[0].path)).shape[1:] == (32, 32, 3)


def test_folds_disjoint_by_identity_and_complete(two_runs):
    root = two_runs[0]
    ann = os.path.join(root, 'annotations')
    everything = {r.path for r in parse_annotation(f'{ann}/all.txt')}
    tests = []
    for k in range(1, 6):
        train = {r.path for r in parse_annotation(f'{ann}/train_{k}.txt')}
        test = {r.path for r in parse_annotation(f'{ann}/test_{k}.txt')}
        assert not train & test and train | test == everything
        csv = parse_annotation(f'{ann}/dfew_csv/test/set_{k}.csv')
        assert [r.path for r in csv] == [p[7:12] for p in sorted(test)]
        tests.append(test)
    assert set().union(*tests) == everything
    assert sum(len(t) for t in tests) == len(everything)
    meta = json.load(open(os.path.join(root, 'meta.json')))
    assert 'not a real dataset' in meta['name']


def test_class_counts_follow_dfew_imbalance():
    counts = class_counts(700)
    assert sum(counts) == 700
    disgust = counts[CLASSES.index('Disgust')]
    assert 7 <= disgust <= 14      # ~1.5 %
    assert counts[CLASSES.index('Happy')] == max(counts)
    assert min(class_counts(10)) >= 1 and sum(class_counts(10)) == 10


def test_expressions_follow_class_dynamics():
    """Mean action after onset matches the class prototypes' signs."""
    diff = Difficulty(neutral_motion=0.0, talk_prob=0.0, onset=(0.0, 0.0),
                      rise=(0.2, 0.2), relax_prob=0.0, proto_jitter=0.0)
    rng = np.random.default_rng(0)
    happy = expression_track(rng, CLASSES.index('Happy'), 20, diff)
    sad = expression_track(rng, CLASSES.index('Sad'), 20, diff)
    neutral = expression_track(rng, CLASSES.index('Neutral'), 20, diff)
    assert happy[0, 0] == 0 and happy[-1, 0] > 0.3   # corners up over time
    assert sad[-1, 0] < -0.3 and sad[-1, 3] > 0.3    # down, inner brows up
    assert np.abs(neutral).max() == 0
    frames = render_clip(rng, sample_identity(rng), 0, 5, 32, diff)
    assert len(frames) == 5 and frames[0].shape == (32, 32, 3)
    assert frames[0].dtype == np.uint8


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='num_labeled'):
        generate(str(tmp_path), num_labeled=3, progress=False)


def test_unlabeled_pool_options_never_change_the_labeled_plan():
    from dfertools.datasets.synthetic_writer import plan_dataset
    base = plan_dataset(3, 70, 0, (16, 32), 5)
    for opts in [(1.0, 0.5), (0.0, 1.0), (0.3, 0.0)]:
        other = plan_dataset(3, 70, 40, (16, 32), 5, *opts)
        assert other['labeled'] == base['labeled']


def test_unlabeled_pool_shows_withheld_expressions_and_talks():
    from dfertools.datasets.synthetic_writer import plan_dataset
    pool = plan_dataset(0, 70, 2000, (16, 32), 5, 0.8, 0.5)['unlabeled']
    hidden = [c['hidden_label'] for c in pool]
    shown = np.array([h for h in hidden if h is not None])
    assert abs(len(shown) / len(pool) - 0.8) < 0.04
    freq = np.bincount(shown, minlength=len(CLASSES)) / len(shown)
    weights = np.array([0.24, 0.18, 0.22, 0.18, 0.10, 0.015, 0.065])
    assert np.abs(freq - weights).max() < 0.035   # the labeled class mix
    assert abs(np.mean([c['talk'] for c in pool]) - 0.5) < 0.04
    assert all(c['label'] is None and c['path'].startswith('unlabeled/')
               for c in pool)
    none = plan_dataset(0, 70, 50, (16, 32), 5, 0.0, 0.0)['unlabeled']
    assert all(c['hidden_label'] is None and not c['talk'] for c in none)


def test_expression_track_talk_switch():
    diff = Difficulty(neutral_motion=0.0, talk_prob=0.0, onset=(0.0, 0.0),
                      rise=(0.2, 0.2), relax_prob=0.0, proto_jitter=0.0)
    happy = CLASSES.index('Happy')
    still = expression_track(np.random.default_rng(1), happy, 50, diff,
                             talk=False)
    talks = expression_track(np.random.default_rng(1), happy, 50, diff,
                             talk=True)
    open_k = 1   # ACTIONS.index('open')
    assert np.allclose(np.delete(still, open_k, 1),
                       np.delete(talks, open_k, 1))
    assert (talks[:, open_k] - still[:, open_k]).max() > 0.1
    # the hidden expression is rendered: corners rise as for a labeled clip
    assert still[-1, 0] > 0.3


def test_unlabeled_annotation_withholds_labels(two_runs):
    rows = parse_annotation(os.path.join(two_runs[0],
                                         'annotations/unlabeled.txt'))
    assert rows and all(r.label is None for r in rows)
    meta = json.load(open(os.path.join(two_runs[0], 'meta.json')))
    assert meta['unlabeled_expression_prob'] == 1.0
    assert 'hidden_label' not in open(os.path.join(
        two_runs[0], 'annotations/unlabeled.txt')).read()
