"""DFERRunner: atomic checkpoint writes (docs/design.md,
'Reliability principles')."""
import mmengine.runner.runner as runner_mod
import pytest
import torch
from mmengine.config import Config

import dfertools  # noqa: F401
from dfertools.engine.runner import DFERRunner
from dfertools.utils.checkpoint import safe_load
from tests.fixtures.cli import TOY_CONFIG


def _save(runner, folder):
    runner.save_checkpoint(str(folder), 'epoch_1.pth', save_optimizer=False,
                           save_param_scheduler=False)


def test_failed_save_leaves_previous_checkpoint_intact(tmp_path,
                                                       monkeypatch):
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.work_dir = str(tmp_path)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    runner = DFERRunner.from_cfg(cfg)
    _save(runner, tmp_path)
    before = safe_load(tmp_path / 'epoch_1.pth')['state_dict']

    real_save = runner_mod.save_checkpoint

    def killed_half_way(checkpoint, filename, **kw):
        with open(filename, 'wb') as f:
            f.write(b'PK\x03\x04 truncated')
        raise KeyboardInterrupt('killed while saving')

    with torch.no_grad():
        for p in runner.model.parameters():
            p.add_(1.0)
    monkeypatch.setattr(runner_mod, 'save_checkpoint', killed_half_way)
    with pytest.raises(KeyboardInterrupt):
        _save(runner, tmp_path)
    after = safe_load(tmp_path / 'epoch_1.pth')['state_dict']
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not [p for p in tmp_path.iterdir() if '.tmp' in p.name]

    monkeypatch.setattr(runner_mod, 'save_checkpoint', real_save)
    _save(runner, tmp_path)
    saved = safe_load(tmp_path / 'epoch_1.pth')['state_dict']
    assert not all(torch.equal(before[k], saved[k]) for k in before)
