"""tools/train.py and tools/test.py end to end on the toy task (subprocess).

One real training epoch is shared by the module; resume runs continue it in
copies of its work dir.
"""
import json
import os.path as osp
import pickle
import shutil

import pytest
import torch

from tests.fixtures.checkpoints import checkpoint_meta
from tests.fixtures.cli import TOY_CONFIG, check_ok, run_tool


@pytest.fixture(scope='module')
def one_epoch(tmp_path_factory):
    work = tmp_path_factory.mktemp('train') / 'work'
    out = check_ok(run_tool('train.py', TOY_CONFIG, '--work-dir', str(work),
                            '--cfg-options', 'train_cfg.max_epochs=1'))
    assert 'Epoch(train) [1][4/4]' in out
    return work


def _copy(work, tmp_path):
    dst = tmp_path / 'work'
    shutil.copytree(work, dst)
    return dst


def _test_metrics(checkpoint, work_dir):
    out = check_ok(run_tool('test.py', TOY_CONFIG, str(checkpoint),
                            '--work-dir', str(work_dir)))
    import re
    return [re.findall(r'(acc/\w+): ([\d.]+)', ln) for ln in out.splitlines()
            if 'Epoch(test)' in ln and 'acc/' in ln]


def test_first_run_saves_epoch_1(one_epoch):
    meta = checkpoint_meta(one_epoch / 'epoch_1.pth')
    assert (meta['epoch'], meta['iter']) == (1, 4)
    assert (one_epoch / 'last_checkpoint').read_text().strip().endswith(
        'epoch_1.pth')


def test_auto_resume_continues_at_epoch_2(one_epoch, tmp_path):
    work = _copy(one_epoch, tmp_path)
    out = check_ok(run_tool('train.py', TOY_CONFIG, '--work-dir', str(work),
                            '--resume'))
    assert 'resumed epoch: 1, iter: 4' in out
    assert 'Epoch(train) [1]' not in out.split('resumed epoch')[1]
    assert 'Epoch(train) [2][4/4]' in out
    meta = checkpoint_meta(work / 'epoch_2.pth')
    assert (meta['epoch'], meta['iter']) == (2, 8)


@pytest.mark.slow
def test_resume_from_explicit_path(one_epoch, tmp_path):
    ckpt = one_epoch / 'epoch_1.pth'
    work = tmp_path / 'other'
    out = check_ok(run_tool('train.py', TOY_CONFIG, '--work-dir', str(work),
                            '--resume', str(ckpt)))
    assert f'continuing from {ckpt}' in out
    assert 'resumed epoch: 1, iter: 4' in out
    assert checkpoint_meta(work / 'epoch_2.pth')['iter'] == 8


def test_resume_never_executes_the_config_stored_in_the_checkpoint(
        one_epoch, tmp_path):
    """MMEngine's resume re-parses meta['config'] (Python); ours drops it."""
    work = _copy(one_epoch, tmp_path)
    marker = tmp_path / 'config_code_ran'
    from dfertools.utils.checkpoint import safe_load
    ckpt = safe_load(work / 'epoch_1.pth')
    ckpt['meta']['config'] = (
        f"open({str(marker)!r}, 'w').write('ran')\nx = 1\n")
    torch.save(ckpt, work / 'epoch_1.pth')
    out = check_ok(run_tool('train.py', TOY_CONFIG, '--work-dir', str(work),
                            '--resume'))
    assert 'resumed epoch: 1, iter: 4' in out
    assert not marker.exists()


def test_missing_resume_file_is_a_clear_error(tmp_path):
    proc = run_tool('train.py', TOY_CONFIG, '--work-dir', str(tmp_path),
                    '--resume', str(tmp_path / 'nope.pth'))
    assert proc.returncode != 0
    assert 'nope.pth' in proc.stderr and 'does not exist' in proc.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_on_cpu_is_refused_clearly(tmp_path):
    proc = run_tool('train.py', TOY_CONFIG, '--work-dir', str(tmp_path),
                    '--amp')
    assert proc.returncode != 0
    assert '--amp needs a CUDA GPU' in proc.stderr


@pytest.mark.slow
def test_test_tool_dumps_pickle_with_dump_results(one_epoch, tmp_path):
    dump = tmp_path / 'preds.pkl'
    ckpt = str(one_epoch / 'epoch_1.pth')
    out = check_ok(run_tool('test.py', TOY_CONFIG, ckpt,
                            '--work-dir', str(tmp_path / 'w'),
                            '--dump', str(dump)))
    assert 'acc/top1' in out
    with open(dump, 'rb') as f:  # our own file, written just now
        records = pickle.load(f)
    assert len(records) == 8
    assert {'pred_score', 'gt_label'} <= set(records[0])


def test_test_tool_gives_dump_path_to_metrics_that_take_it(
        one_epoch, tmp_path):
    dump = tmp_path / 'records.json'
    ckpt = str(one_epoch / 'epoch_1.pth')
    out = check_ok(run_tool('test.py', TOY_CONFIG, ckpt,
                            '--work-dir', str(tmp_path / 'w'), '--dump',
                            str(dump), '--cfg-options',
                            'test_evaluator.type=ToyDumpMetric'))
    assert 'toy/acc' in out
    records = json.loads(dump.read_text())
    assert len(records) == 8
    assert sorted(r['video_id'] for r in records) == sorted(
        f'clip_{i}' for i in range(8))
    assert all(abs(sum(r['probs']) - 1) < 1e-4 for r in records)
    # the toy rule is learnt in one epoch
    assert 'toy/acc: 1.0000' in out


def test_train_with_test_reports_what_the_test_tool_reports(one_epoch,
                                                           tmp_path):
    """--test scores the final weights in the training process: the same
    per-sample records as tools/test.py on the checkpoint it leaves, also
    when --resume finds the training already finished."""
    work = _copy(one_epoch, tmp_path)
    metric = ['--cfg-options', 'test_evaluator.type=ToyDumpMetric']
    dumps = [tmp_path / n for n in ('train.json', 'test.json', 'again.json')]
    out = check_ok(run_tool('train.py', TOY_CONFIG, '--work-dir', str(work),
                            '--resume', '--test', '--dump', str(dumps[0]),
                            *metric, 'train_cfg.max_epochs=2'))
    assert 'Epoch(train) [2][4/4]' in out and 'toy/acc' in out
    check_ok(run_tool('test.py', TOY_CONFIG, str(work / 'epoch_2.pth'),
                      '--work-dir', str(tmp_path / 't'), '--dump',
                      str(dumps[1]), *metric))
    out = check_ok(run_tool('train.py', TOY_CONFIG, '--work-dir', str(work),
                            '--resume', '--test', '--dump', str(dumps[2]),
                            *metric, 'train_cfg.max_epochs=2'))
    assert 'Epoch(train)' not in out   # nothing left to train
    records = [sorted(json.loads(d.read_text()), key=lambda r: r['video_id'])
               for d in dumps]
    assert len(records[0]) == 8
    for other in records[1:]:
        assert [r['video_id'] for r in other] == [
            r['video_id'] for r in records[0]]
        assert torch.allclose(torch.tensor([r['probs'] for r in other]),
                              torch.tensor([r['probs'] for r in records[0]]),
                              atol=1e-6)


def test_train_test_flags_are_checked_before_training(tmp_path):
    proc = run_tool('train.py', TOY_CONFIG, '--work-dir', str(tmp_path),
                    '--dump', str(tmp_path / 'x.json'))
    assert proc.returncode != 0 and 'add --test' in proc.stderr
    proc = run_tool('train.py', TOY_CONFIG, '--work-dir', str(tmp_path),
                    '--test', '--cfg-options', 'test_evaluator=None')
    assert proc.returncode != 0
    assert 'no test_evaluator' in proc.stderr and 'toy_recognizer' in \
        proc.stderr
    assert not list(tmp_path.glob('*.pth'))


def test_test_tool_missing_checkpoint(tmp_path):
    proc = run_tool('test.py', TOY_CONFIG, str(tmp_path / 'x.pth'),
                    '--work-dir', str(tmp_path))
    assert proc.returncode != 0
    assert osp.join(str(tmp_path), 'x.pth') in proc.stderr


@pytest.mark.slow
def test_killed_run_resumes_where_its_last_checkpoint_left_off(tmp_path):
    """SIGKILL a 3-epoch run once a checkpoint exists; --resume finishes it."""
    import signal
    import subprocess
    import sys
    import time

    from tests.fixtures.cli import ROOT, tool_env
    work = tmp_path / 'work'
    # dropout and drop-path draw from torch's generator: without the RNG
    # states in the checkpoint the resumed run would end elsewhere
    random_model = ['model.backbone.drop_path_rate=0.3',
                    'model.cls_head.dropout_ratio=0.5']
    args = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), TOY_CONFIG,
            '--work-dir', str(work), '--cfg-options', 'train_cfg.max_epochs=3',
            'train_dataloader.dataset.delay=0.3', *random_model]
    proc = subprocess.Popen(args, cwd=ROOT, env=tool_env(),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while not (work / 'last_checkpoint').exists():
            assert proc.poll() is None, 'training ended before a checkpoint'
            assert time.time() < deadline, 'no checkpoint within 240 s'
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    last = (work / 'last_checkpoint').read_text().strip()
    epoch = checkpoint_meta(last)['epoch']
    assert epoch < 3, 'killed too late to test resuming'
    out = check_ok(run_tool('train.py', TOY_CONFIG, '--work-dir', str(work),
                            '--resume', '--cfg-options',
                            'train_cfg.max_epochs=3',
                            *random_model))
    assert f'resumed epoch: {epoch}, iter: {4 * epoch}' in out
    assert f'Epoch(train) [{epoch + 1}][1/4]' in out
    meta = checkpoint_meta(work / 'epoch_3.pth')
    assert (meta['epoch'], meta['iter']) == (3, 12)
    # same seed, no interruption: the same weights and test metrics
    straight = tmp_path / 'straight'
    check_ok(run_tool('train.py', TOY_CONFIG, '--work-dir', str(straight),
                      '--cfg-options', 'train_cfg.max_epochs=3',
                      *random_model))
    from dfertools.utils.checkpoint import safe_load
    import torch
    a = safe_load(str(straight / 'epoch_3.pth'))['state_dict']
    b = safe_load(str(work / 'epoch_3.pth'))['state_dict']
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [
        k for k in a if not torch.equal(a[k], b[k])]
    metrics = [_test_metrics(d / 'epoch_3.pth', tmp_path / n)
               for d, n in ((straight, 'ta'), (work, 'tb'))]
    assert metrics[0] == metrics[1] and metrics[0]
