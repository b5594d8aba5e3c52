"""Checkpoints never run code (utils/checkpoint.py, utils/checkpoint_allowlist.py).

Each crafted checkpoint of ``tests/fixtures/evil_checkpoints.py`` (the
``evil`` fixture of conftest.py runs every test once per gadget) is refused
by ``safe_load``, MMEngine's ``load_checkpoint``, ``tools/train.py
--resume`` and ``tools/test.py`` with an error naming the file, and its
marker file never appears. test_checkpoint_routes.py covers the other
routes; test_checkpoint_allowlist.py audits the allow-list itself.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

import dfertools  # noqa: F401
from dfertools.utils.checkpoint import (CheckpointRefusedError,
                                        CheckpointUnreadableError, atomic_save,
                                        safe_load)
from tests.fixtures.cli import TOY_CONFIG, run_tool


def _assert_clear(msg, path):
    assert str(path) in msg
    assert 'weights_only=True' in msg and 'allow-list' in msg
    assert 'Nothing from it was executed' in msg


def test_safe_load_refuses(evil):
    path, marker = evil
    with pytest.raises(CheckpointRefusedError) as e:
        safe_load(path)
    _assert_clear(str(e.value), path)
    assert not osp.exists(marker)


def test_env_override_cannot_switch_weights_only_off(evil, monkeypatch):
    path, marker = evil
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(CheckpointRefusedError):
        safe_load(path)
    from mmengine.runner import CheckpointLoader
    with pytest.raises(CheckpointRefusedError):
        CheckpointLoader.load_checkpoint(str(path))
    assert not osp.exists(marker)


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
    assert not osp.exists(marker)


def test_refusal_is_still_an_unpickling_error(evil):
    import pickle
    with pytest.raises(pickle.UnpicklingError):
        safe_load(evil.path)


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
    assert not osp.exists(marker)


def test_train_resume_refuses(evil, tmp_path):
    path, marker = evil
    proc = run_tool('train.py', TOY_CONFIG, '--work-dir',
                    str(tmp_path / 'w'), '--resume', str(path))
    assert proc.returncode != 0
    _assert_clear(proc.stderr, path)
    assert not osp.exists(marker)


def test_safe_load_keeps_the_process_wide_allow_list(tmp_path):
    """Regression: a context-managed allow-list was removed on exit, so a
    plain weights_only load of an mmengine checkpoint failed afterwards."""
    path = tmp_path / 'ok.pth'
    torch.save({'message_hub': {'log': HistoryBuffer([1.0, 2.0], [1, 1])},
                'v': np.float64(1.5)}, path)
    safe_load(path)
    again = torch.load(path, map_location='cpu', weights_only=True)
    assert isinstance(again['message_hub']['log'], HistoryBuffer)


@pytest.mark.parametrize('damage', ['truncated', 'empty', 'text'])
def test_damaged_file_is_named(tmp_path, damage):
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, good)
    bad = tmp_path / f'{damage}.pth'
    data = {'truncated': good.read_bytes()[:2000], 'empty': b'',
            'text': b'not a checkpoint\n'}[damage]
    bad.write_bytes(data)
    with pytest.raises(CheckpointUnreadableError) as e:
        safe_load(bad)
    assert str(bad) in str(e.value) and 'truncated' in str(e.value)
