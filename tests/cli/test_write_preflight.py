"""Unwritable outputs are refused before the run, naming the folder: the
work dir (tools/train.py, tools/test.py) and the folder of --dump; and the
test metrics reach the log before any dump is written, so a dump that
fails at the end does not take them with it."""
import errno
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import BaseMetric, DumpResults
from mmengine.logging import MMLogger

from dfertools.evaluation import DFERMetric, MetricsBeforeDumpEvaluator
from dfertools.evaluation import predictions
from dfertools.cli import setup_env
from tests.fixtures.cli import TOY_CONFIG, run_tool


def _one_line_error(proc, tool, text):
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    assert f'{tool}: error: ' in proc.stderr and text in proc.stderr, \
        proc.stderr[-3000:]


@pytest.mark.parametrize('sub', ['', 'work'])
def test_train_refuses_an_unwritable_work_dir_before_building(
        unwritable_dir, sub):
    work = osp.join(str(unwritable_dir), sub) if sub else str(unwritable_dir)
    proc = run_tool('train.py', TOY_CONFIG, '--work-dir', work)
    _one_line_error(proc, 'train.py',
                    f"work dir {work.rstrip(os.sep)!r} is not writable")
    assert '--work-dir DIR on a writable disk' in proc.stderr
    assert 'Epoch(train)' not in proc.stdout + proc.stderr


def test_dump_folder_is_checked_when_the_dump_is_set_up(unwritable_dir):
    dump = osp.join(str(unwritable_dir), 'sub', 'preds.pkl')
    cfg = Config.fromfile(TOY_CONFIG)
    with pytest.raises(OSError) as info:
        setup_env.setup_dump(cfg, dump)
    msg = str(info.value)
    assert f"--dump {dump}: the folder " \
        f"{osp.dirname(dump)!r} is not writable" in msg
    assert 'Choose a --dump path in a writable folder' in msg


def test_test_tool_refuses_an_unwritable_dump_before_testing(
        tmp_path, unwritable_dir):
    ckpt = tmp_path / 'epoch_1.pth'  # never read: refused before loading
    ckpt.write_bytes(b'not read')
    dump = osp.join(str(unwritable_dir), 'preds.pkl')
    proc = run_tool('test.py', TOY_CONFIG, str(ckpt), '--work-dir',
                    str(tmp_path / 'w'), '--dump', dump)
    _one_line_error(proc, 'test.py', f'--dump {dump}: the folder')
    assert 'Epoch(test)' not in proc.stdout + proc.stderr


@pytest.fixture
def log_file(tmp_path):
    """A fresh current MMLogger writing to a file; returns its path."""
    path = tmp_path / 'run.log'
    MMLogger.get_instance(f'preflight_{id(path)}', log_file=str(path))
    return path


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_dfer_metric_logs_metrics_before_its_dump(tmp_path, monkeypatch,
                                                  log_file):
    dump = str(tmp_path / 'preds.json')
    metric = DFERMetric(dump_path=dump)
    for i in range(4):
        probs = torch.tensor([0.9, 0.1]) if i % 2 == 0 else \
            torch.tensor([0.2, 0.8])
        metric.process({}, [dict(video_id=f'v{i}', view_id=0,
                                 pred_score=probs,
                                 gt_label=torch.tensor([i % 2]))])
    monkeypatch.setattr(predictions, 'write_json_atomic', _disk_full)
    with pytest.raises(OSError) as info:
        metric.evaluate(4)
    assert info.value.errno == errno.ENOSPC
    assert f"could not write the dump {dump!r}" in str(info.value)
    assert 'the metrics are in the log line above' in str(info.value)
    logged = log_file.read_text()
    assert f'DFERMetric (before writing {dump}): UAR: 1.0000' in logged
    assert 'WAR: 1.0000' in logged


class HalfRight(BaseMetric):
    default_prefix = 'toy'

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        return dict(acc=0.5)


def test_evaluator_logs_metrics_before_dump_results(tmp_path, monkeypatch,
                                                     log_file):
    out = str(tmp_path / 'preds.pkl')
    evaluator = MetricsBeforeDumpEvaluator(
        [HalfRight(), DumpResults(out_file_path=out)])
    evaluator.process([dict(pred_score=torch.ones(2))] * 2)
    import mmengine.evaluator.metric as metric_mod
    monkeypatch.setattr(metric_mod, 'dump', _disk_full)
    with pytest.raises(OSError):
        evaluator.evaluate(2)
    logged = log_file.read_text()
    assert f'metrics (logged before the results file {out} is written): ' \
        'toy/acc: 0.5000' in logged
    monkeypatch.undo()
    evaluator.process([dict(pred_score=torch.ones(2))] * 2)
    assert evaluator.evaluate(2) == {'toy/acc': 0.5}  # like Evaluator
    assert osp.isfile(out)
