"""Auto-resume survives a ``last_checkpoint`` that is missing, empty or
names a deleted or damaged file: it falls back to the newest checkpoint that
loads and says so (``dfertools.utils.resume``), for ``tools/train.py
--resume`` (``setup_env.setup_resume``) and for MMEngine's own auto-resume
(``Runner(resume=True)`` without ``load_from``)."""
import os
import time

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from dfertools.engine import DFERRunner
from dfertools.utils import resume as resume_mod
from dfertools.cli import setup_env
from tests.fixtures.engine_toys import Snapshot, ToyDataset, runner_cfg
from tests.fixtures.cli import TOY_CONFIG


def ckpt_cfg(keep=3):
    return dict(type='AtomicCheckpointHook', interval=1, by_epoch=False,
                max_keep_ckpts=keep)


@pytest.fixture
def work(tmp_path):
    """A work dir holding iter_1..3.pth (mtimes 1 s apart, iter_3 newest)
    and last_checkpoint -> iter_3.pth."""
    Runner(**runner_cfg(tmp_path, ToyDataset(), max_iters=3,
                        checkpoint=ckpt_cfg())).train()
    now = time.time()
    for i in (1, 2, 3):
        os.utime(tmp_path / f'iter_{i}.pth', (now - 10 + i, now - 10 + i))
    assert (tmp_path / 'last_checkpoint').read_text() == str(
        tmp_path / 'iter_3.pth')
    return tmp_path


@pytest.fixture
def warnings_logged(monkeypatch):
    logged = []
    monkeypatch.setattr(resume_mod, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    return logged


def _break(work, how):
    last = work / 'last_checkpoint'
    newest = work / 'iter_3.pth'
    if how == 'deleted':
        newest.unlink()
        return 'iter_2.pth', 'which does not exist'
    if how == 'truncated':
        data = newest.read_bytes()
        newest.write_bytes(data[:len(data) // 2])
        return 'iter_2.pth', 'iter_3.pth, which'
    if how == 'empty':
        last.write_text('')
        return 'iter_3.pth', 'last_checkpoint is empty'
    if how == 'zero-bytes':
        newest.write_bytes(b'')
        return 'iter_2.pth', 'which is empty'
    assert how == 'missing'
    last.unlink()
    return 'iter_3.pth', 'last_checkpoint does not exist'


HOW = ['deleted', 'truncated', 'empty', 'zero-bytes', 'missing']


@pytest.mark.parametrize('how', HOW)
def test_tools_resume_falls_back_to_newest_loadable(work, how,
                                                    warnings_logged):
    expected, why = _break(work, how)
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.work_dir = str(work)
    setup_env.setup_resume(cfg, setup_env.AUTO)
    assert cfg.resume is True
    assert cfg.load_from == str(work / expected)
    warning, = [m for m in warnings_logged if 'resuming from' in m]
    assert why in warning and str(work / expected) in warning


@pytest.mark.parametrize('runner_cls', [Runner, DFERRunner])
@pytest.mark.parametrize('how', ['deleted', 'empty'])
def test_mmengine_auto_resume_falls_back(work, how, runner_cls,
                                         warnings_logged):
    expected, why = _break(work, how)
    snap = Snapshot()
    resumed = runner_cls(**runner_cfg(
        work, ToyDataset(), max_iters=5, checkpoint=ckpt_cfg(),
        custom_hooks=[snap], resume=True))
    resumed.train()
    assert resumed.iter == 5
    assert any(why in m and expected in m for m in warnings_logged)
    # it continued from the fallback: iterations start..5 were trained
    start = int(expected[len('iter_'):-len('.pth')])
    assert len(snap.params) == 5 - start


def test_intact_last_checkpoint_is_used_silently(work, warnings_logged):
    assert resume_mod.find_resumable_checkpoint(str(work)) == str(
        work / 'iter_3.pth')
    assert warnings_logged == []


def test_no_checkpoint_at_all_is_a_fresh_start(tmp_path, warnings_logged):
    assert resume_mod.find_resumable_checkpoint(str(tmp_path)) is None
    assert warnings_logged == []


def test_nothing_loadable_is_a_fresh_start_with_a_warning(
        tmp_path, warnings_logged):
    (tmp_path / 'iter_4.pth').write_bytes(b'PK\x03\x04 truncated')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    assert resume_mod.find_resumable_checkpoint(str(tmp_path)) is None
    assert any('nothing to resume from' in m for m in warnings_logged)


def test_refused_checkpoint_is_not_passed_over(tmp_path, evil):
    """A crafted file (it would run code) as the fallback is refused by the
    load, not skipped in favour of an older one or run."""
    from dfertools.utils.checkpoint import CheckpointRefusedError
    target = tmp_path / 'work'
    target.mkdir()
    os.replace(evil.path, target / 'iter_1.pth')
    with pytest.raises(CheckpointRefusedError, match='iter_1.pth'):
        Runner(**runner_cfg(target, ToyDataset(), max_iters=2,
                            checkpoint=ckpt_cfg(), resume=True)).train()
