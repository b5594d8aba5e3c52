"""k-fold aggregation and the cv_report / plot_confusion CLIs on hand dumps."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from dfertools.evaluation.fold_report import fold_report, format_table
from dfertools.evaluation.predictions import load_dump, save_dump
from tests.fixtures.paths import REPO_ROOT as ROOT

ONE_HOT = {0: [0.8, 0.1, 0.1], 1: [0.1, 0.8, 0.1], 2: [0.1, 0.1, 0.8]}


def write_fold(path, pairs, two_views=False):
    """pairs: (label, predicted class) per video."""
    records = []
    for i, (y, p) in enumerate(pairs):
        records.append(dict(video_id=f'{osp.basename(str(path))}/v{i}',
                            view_id=0, probs=ONE_HOT[p], label=y))
        if two_views:  # a second, agreeing view must not change anything
            records.append(dict(video_id=f'{osp.basename(str(path))}/v{i}',
                                view_id=1, probs=ONE_HOT[p], label=y))
    save_dump(str(path), records, 3, ['Happy', 'Sad', 'Neutral'])
    return str(path)


@pytest.fixture
def dumps(tmp_path):
    # fold 1: labels 0,0,1,1 preds 0,0,1,0 -> WAR 3/4, recalls 1,1/2 -> UAR 3/4
    f1 = write_fold(tmp_path / 'f1.json', [(0, 0), (0, 0), (1, 1), (1, 0)])
    # fold 2: labels 0,1,2 preds 0,2,2 -> WAR 2/3, recalls 1,0,1 -> UAR 2/3
    f2 = write_fold(tmp_path / 'f2.json', [(0, 0), (1, 2), (2, 2)],
                    two_views=True)
    # fold 3: labels 2,2 preds 1,2 -> WAR 1/2, recall(2)=1/2 -> UAR 1/2
    f3 = write_fold(tmp_path / 'f3.json', [(2, 1), (2, 2)])
    return [f1, f2, f3]


def test_fold_aggregation_hand_numbers(dumps):
    r = fold_report(dumps)
    uars = [3 / 4, 2 / 3, 1 / 2]
    wars = [3 / 4, 2 / 3, 1 / 2]
    assert [f['UAR'] for f in r['folds']] == pytest.approx(uars)
    assert [f['WAR'] for f in r['folds']] == pytest.approx(wars)
    assert [f['num_videos'] for f in r['folds']] == [4, 3, 2]
    mean = sum(uars) / 3
    std = (sum((u - mean) ** 2 for u in uars) / (3 - 1)) ** 0.5  # ddof=1
    assert r['mean']['UAR'] == pytest.approx(mean)
    assert r['std']['UAR'] == pytest.approx(std)
    assert r['std_ddof'] == 1
    # pooled over 9 videos: label0: 3 videos all right -> 1
    # label1: 3 videos, right 1 -> 1/3 ; label2: 3 videos, right 2 -> 2/3
    assert r['pooled']['UAR'] == pytest.approx((1 + 1 / 3 + 2 / 3) / 3)
    assert r['pooled']['WAR'] == pytest.approx(6 / 9)
    assert r['pooled']['num_samples'] == 9
    assert r['pooled']['confusion_matrix'] == [[3, 0, 0], [1, 1, 1],
                                               [0, 1, 2]]
    assert r['class_names'] == ['Happy', 'Sad', 'Neutral']
    table = format_table(r)
    assert '75.00' in table and 'ddof=1' in table


def test_same_video_id_in_two_folds_kept_apart(tmp_path):
    a = tmp_path / 'a'
    a.mkdir()
    b = tmp_path / 'b'
    b.mkdir()
    # same file names -> same video ids in both dumps
    fa = write_fold(a / 'd.json', [(0, 0)])
    fb = write_fold(b / 'd.json', [(0, 1)])
    r = fold_report([fa, fb])
    assert r['pooled']['num_samples'] == 2
    assert r['pooled']['WAR'] == 0.5
    assert np.isnan(fold_report([fa])['std']['UAR'])


def test_bad_dump_messages(tmp_path):
    bad = tmp_path / 'x.pkl'
    bad.write_bytes(b'\x80\x04not json')
    with pytest.raises(ValueError, match='x.pkl'):
        fold_report([str(bad)])
    with pytest.raises(FileNotFoundError, match='missing.json'):
        fold_report([str(tmp_path / 'missing.json')])


def test_cv_report_cli(dumps, tmp_path):
    out = tmp_path / 'out'
    res = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools/analysis/cv_report.py'),
         *dumps, '--out', str(out), '--class-names', 'H', 'S', 'N'],
        capture_output=True, text=True, env={'PYTHONPATH': ROOT,
                                             'OMP_NUM_THREADS': '1',
                                             'MPLBACKEND': 'Agg',
                                             'PATH': '/usr/bin:/bin'})
    assert res.returncode == 0, res.stderr
    assert 'mean ± std' in res.stdout
    png = out / 'confusion_pooled.png'
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    summary = json.loads((out / 'cv_summary.json').read_text())
    assert summary['class_names'] == ['H', 'S', 'N']
    assert summary['pooled']['WAR'] == pytest.approx(6 / 9)
    assert len(summary['folds']) == 3


def test_plot_confusion_cli(dumps, tmp_path):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
    try:
        import plot_confusion
    finally:
        sys.path.pop(0)
    out = plot_confusion.main([dumps[0], '--out', str(tmp_path / 'c.png'),
                               '--normalize'])
    assert open(out, 'rb').read(4) == b'\x89PNG'


FAKE_TRAIN = r'''
import os, sys
args = sys.argv[1:]
wd = args[args.index('--work-dir') + 1]
os.makedirs(wd, exist_ok=True)
open(os.path.join(wd, 'train_args.txt'), 'w').write(' '.join(args))
ckpt = os.path.join(wd, 'epoch_2.pth')
open(ckpt, 'w').write('x')
open(os.path.join(wd, 'last_checkpoint'), 'w').write(ckpt)
'''

FAKE_TEST = r'''
import json, os, sys
args = sys.argv[1:]
wd = args[args.index('--work-dir') + 1]
open(os.path.join(wd, 'test_args.txt'), 'w').write(' '.join(args))
fold = int([a for a in args if a.startswith('test_dataloader')][0][-1])
records = [dict(video_id=f'f{fold}v{i}', view_id=0,
                probs=[0.9, 0.1] if i < fold else [0.1, 0.9], label=0)
           for i in range(4)]
json.dump(dict(format='dfertools.predictions', version=1, num_classes=2,
               class_names=None, records=records, metrics=None),
          open(args[args.index('--dump') + 1], 'w'))
'''


def _run_fake_cv(tmp_path, *extra):
    """tools/cv.sh on folds 1 and 3 with stand-in train/test tools that
    record their arguments; returns the work dir."""
    import shutil
    root = tmp_path / 'repo'
    (root / 'tools' / 'analysis').mkdir(parents=True)
    shutil.copy(osp.join(ROOT, 'tools', 'cv.sh'), root / 'tools')
    shutil.copy(osp.join(ROOT, 'tools', 'analysis', 'cv_report.py'),
                root / 'tools' / 'analysis')
    (root / 'tools' / 'train.py').write_text(FAKE_TRAIN)
    (root / 'tools' / 'test.py').write_text(FAKE_TEST)
    work = tmp_path / 'cv'
    env = {'PYTHONPATH': ROOT, 'FOLDS': '1 3',
           'WORK_DIR': str(work), 'OMP_NUM_THREADS': '1', 'MPLBACKEND': 'Agg',
           'PATH': osp.dirname(sys.executable) + ':/usr/bin:/bin',
           'PYTHON': sys.executable, 'HAS_VAL': '1'}
    res = subprocess.run(['bash', str(root / 'tools' / 'cv.sh'), 'cfg.py',
                          '1', *extra], capture_output=True, text=True,
                         env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    return work


def test_cv_sh_forwards_cfg_options_to_test(tmp_path):
    work = _run_fake_cv(
        tmp_path, '--cfg-options', 'test_dataloader.dataset.data_root=/d',
        'model.cls_head.num_classes=2', '--seed', '7',
        '--cfg-options=test_dataloader.batch_size=3')
    for k in (1, 3):
        test_args = (work / f'fold_{k}' / 'test_args.txt').read_text()
        assert test_args.endswith(
            f'--cfg-options train_dataloader.dataset.fold={k} '
            f'test_dataloader.dataset.fold={k} '
            f'val_dataloader.dataset.fold={k} '
            'test_dataloader.dataset.data_root=/d '
            'model.cls_head.num_classes=2 test_dataloader.batch_size=3')
        assert '--seed' not in test_args
        train_args = (work / f'fold_{k}' / 'train_args.txt').read_text()
        assert 'model.cls_head.num_classes=2 --seed 7' in train_args


def test_cv_sh_runs_folds_and_report(tmp_path):
    """tools/cv.sh with stand-in train/test tools: fold options, the last
    checkpoint, --dump paths, the FOLDS subset and the final report."""
    work = _run_fake_cv(tmp_path, '--seed', '7')
    assert not (work / 'fold_2').exists()
    for k in (1, 3):
        train_args = (work / f'fold_{k}' / 'train_args.txt').read_text()
        assert f'train_dataloader.dataset.fold={k}' in train_args
        assert f'val_dataloader.dataset.fold={k}' in train_args
        assert '--seed 7' in train_args
        test_args = (work / f'fold_{k}' / 'test_args.txt').read_text()
        assert str(work / f'fold_{k}' / 'epoch_2.pth') in test_args
        assert f'--dump {work}/fold_{k}/dump.json' in test_args
    summary = json.loads((work / 'cv_report' / 'cv_summary.json').read_text())
    assert [f['WAR'] for f in summary['folds']] == [0.25, 0.75]
    assert (work / 'cv_report' / 'confusion_pooled.png').is_file()


@pytest.mark.slow
def test_cv_sh_end_to_end_with_real_tools(tmp_path):
    """tools/cv.sh -> tools/train.py -> tools/test.py --dump (DFERMetric,
    two views per clip) -> cv_report, on the toy recognizer, folds 1-2."""
    if not osp.isfile(osp.join(ROOT, 'tools', 'train.py')):
        pytest.skip('tools/train.py (foundation branch) not merged')
    work = tmp_path / 'cv'
    env = dict(os.environ, PYTHONPATH=ROOT, FOLDS='1 2', WORK_DIR=str(work),
               OMP_NUM_THREADS='1', MPLBACKEND='Agg', PYTHON=sys.executable)
    res = subprocess.run(
        ['bash', osp.join(ROOT, 'tools', 'cv.sh'),
         osp.join(ROOT, 'tests', 'fixtures', 'cv_toy', 'toy_cv.py'), '1'],
        capture_output=True, text=True, env=env, cwd=ROOT)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    for k in (1, 2):
        dump = load_dump(str(work / f'fold_{k}' / 'dump.json'))
        assert len(dump['records']) == 12      # 6 clips x 2 views
        assert {r['video_id'].split('/')[0] for r in dump['records']} == \
            {f'fold{k}'}
        assert dump['metrics']['num_samples'] == 6
    summary = json.loads((work / 'cv_report' / 'cv_summary.json').read_text())
    assert [f['num_videos'] for f in summary['folds']] == [6, 6]
    assert summary['pooled']['num_samples'] == 12
    assert summary['class_names'] == ['dark', 'bright']
    assert (work / 'cv_report' / 'confusion_pooled.png').is_file()
