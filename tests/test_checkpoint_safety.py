"""Checkpoints never run code (DESIGN §3.3, §9; utils/checkpoint.py).

A crafted checkpoint whose pickle ``__reduce__`` would write a marker file is
refused by every loading route — ``safe_load``, MMEngine's
``load_checkpoint``, ``tools/train.py --resume`` and ``tools/test.py`` — with
an error naming the file, and the marker never appears.
"""
import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

import dfertools  # noqa: F401
from dfertools.utils.checkpoint import (CheckpointRefusedError, atomic_save,
                                        safe_load)
from tests.fixtures.cli import TOY_CONFIG, run_tool


class _WritesMarker:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (exec, (f"open({self.path!r}, 'w').write('pwned')",))


@pytest.fixture
def evil(tmp_path):
    marker = tmp_path / 'marker'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(2)},
                'meta': {'epoch': 1, 'iter': 1, 'x': _WritesMarker(marker)}},
               path)
    assert not marker.exists()
    return path, marker


def _assert_clear(msg, path):
    assert str(path) in msg
    assert 'weights_only=True' in msg and 'allow-list' in msg
    assert 'Nothing from it was executed' in msg


def test_safe_load_refuses(evil):
    path, marker = evil
    with pytest.raises(CheckpointRefusedError) as e:
        safe_load(path)
    _assert_clear(str(e.value), path)
    assert 'GLOBAL exec' in str(e.value)
    assert not marker.exists()


def test_env_override_cannot_switch_weights_only_off(evil, monkeypatch):
    path, marker = evil
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(CheckpointRefusedError):
        safe_load(path)
    from mmengine.runner import CheckpointLoader
    with pytest.raises(CheckpointRefusedError):
        CheckpointLoader.load_checkpoint(str(path))
    assert not marker.exists()


def test_remote_loaders_refuse_while_env_disables_weights_only(
        monkeypatch):
    from mmengine.runner import CheckpointLoader
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(RuntimeError, match='Unset the variable'):
        CheckpointLoader.load_checkpoint('https://example.invalid/x.pth')


def test_mmengine_load_checkpoint_refuses(evil):
    from mmengine.runner import load_checkpoint
    path, marker = evil
    with pytest.raises(CheckpointRefusedError) as e:
        load_checkpoint(torch.nn.Linear(2, 2), str(path))
    _assert_clear(str(e.value), path)
    assert not marker.exists()


def test_refusal_is_still_an_unpickling_error(evil):
    import pickle
    with pytest.raises(pickle.UnpicklingError):
        safe_load(evil[0])


def test_mmengine_checkpoint_contents_load(tmp_path):
    buf = HistoryBuffer()
    buf.update(np.float64(0.5))
    obj = {'meta': {'seed': np.int64(3), 'arr': np.arange(3.0)},
           'message_hub': {'log_scalars': {'loss': buf}},
           'state_dict': {'w': torch.ones(2)}}
    atomic_save(obj, tmp_path / 'ok.pth')
    got = safe_load(tmp_path / 'ok.pth')
    assert got['meta']['seed'] == 3
    assert got['message_hub']['log_scalars']['loss'].mean() == 0.5
    assert torch.equal(got['state_dict']['w'], torch.ones(2))


def test_atomic_save_keeps_old_file_when_saving_fails(tmp_path):
    path = tmp_path / 'c.pth'
    atomic_save({'v': torch.ones(1)}, path)

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError('killed mid-save')

    with pytest.raises(RuntimeError, match='killed mid-save'):
        atomic_save({'v': torch.zeros(1), 'x': Unpicklable()}, path)
    assert torch.equal(safe_load(path)['v'], torch.ones(1))
    assert [p.name for p in tmp_path.iterdir()] == ['c.pth']


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        safe_load(tmp_path / 'nope.pth')


def test_test_tool_refuses(evil, tmp_path):
    path, marker = evil
    proc = run_tool('test.py', TOY_CONFIG, str(path), '--work-dir',
                    str(tmp_path / 'w'))
    assert proc.returncode != 0
    assert 'CheckpointRefusedError' in proc.stderr
    _assert_clear(proc.stderr, path)
    assert not marker.exists()


def test_train_resume_refuses(evil, tmp_path):
    path, marker = evil
    proc = run_tool('train.py', TOY_CONFIG, '--work-dir',
                    str(tmp_path / 'w'), '--resume', str(path))
    assert proc.returncode != 0
    _assert_clear(proc.stderr, path)
    assert not marker.exists()
