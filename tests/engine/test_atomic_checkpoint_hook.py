"""AtomicCheckpointHook: a crash while saving leaves the previous checkpoint
and ``last_checkpoint`` intact (toy model through mmengine's Runner)."""
import os

import pytest
import torch
from mmengine.fileio import LocalBackend
from mmengine.runner import Runner

from dfertools.engine import DFERRunner
from dfertools.engine.atomic_checkpoint_hook import atomic_write_text
from dfertools.registry import HOOKS

from tests.fixtures.engine_toys import ToyDataset, runner_cfg


class Crash(Exception):
    pass


def crash_on_third_save(monkeypatch, where):
    """Let two saves through; the third writes partial bytes then raises."""
    calls = {'n': 0}
    if where == 'torch.save':
        real = torch.save

        def fake(obj, f, *args, **kwargs):
            calls['n'] += 1
            if calls['n'] < 3:
                return real(obj, f, *args, **kwargs)
            f.write(b'PK\x03\x04partial')
            raise Crash('killed inside torch.save')
        monkeypatch.setattr(torch, 'save', fake)
    else:  # the bytes reach the disk half-way
        real = LocalBackend.put

        def fake(self, obj, filepath):
            calls['n'] += 1
            if calls['n'] < 3:
                return real(self, obj, filepath)
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
            raise Crash('killed while writing the file')
        monkeypatch.setattr(LocalBackend, 'put', fake)


def ckpt_cfg(hook_type):
    return dict(type=hook_type, interval=1, by_epoch=False, max_keep_ckpts=1)


def load(path):
    """The project's checkpoint loader (weights_only=True + allow-list)."""
    from dfertools.utils.checkpoint import safe_load
    return safe_load(path)


def test_registered():
    assert HOOKS.get('AtomicCheckpointHook') is not None


@pytest.mark.parametrize('runner_cls,where', [
    (Runner, 'torch.save'), (Runner, 'put'), (DFERRunner, 'put')])
def test_crash_mid_save_keeps_previous(tmp_path, monkeypatch, runner_cls,
                                       where):
    crash_on_third_save(monkeypatch, where)
    runner = runner_cls(**runner_cfg(
        tmp_path, ToyDataset(), max_iters=4,
        checkpoint=ckpt_cfg('AtomicCheckpointHook')))
    with pytest.raises(Crash):
        runner.train()
    monkeypatch.undo()
    files = sorted(os.listdir(tmp_path))
    assert 'iter_2.pth' in files and 'iter_3.pth' not in files
    assert not [f for f in files if '.tmp-' in f]
    last = open(tmp_path / 'last_checkpoint').read()
    assert last == str(tmp_path / 'iter_2.pth')
    ckpt = load(last)
    assert ckpt['meta']['iter'] == 2
    assert set(ckpt['state_dict']) == {'fc.weight', 'fc.bias'}

    # and the run resumes from it
    resumed = runner_cls(**runner_cfg(
        tmp_path, ToyDataset(), max_iters=4,
        checkpoint=ckpt_cfg('AtomicCheckpointHook'), resume=True))
    resumed.train()
    assert resumed.iter == 4
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth')) \
        == ['iter_4.pth']  # max_keep_ckpts=1, old one rotated after saving
    assert open(tmp_path / 'last_checkpoint').read() == \
        str(tmp_path / 'iter_4.pth')


def test_plain_checkpoint_hook_loses_it(tmp_path, monkeypatch):
    """The failure this hook exists for: mmengine deletes the kept
    checkpoint before writing the new one and writes in place."""
    crash_on_third_save(monkeypatch, 'put')
    runner = Runner(**runner_cfg(tmp_path, ToyDataset(), max_iters=4,
                                 checkpoint=ckpt_cfg('CheckpointHook')))
    with pytest.raises(Crash):
        runner.train()
    monkeypatch.undo()
    assert not (tmp_path / 'iter_2.pth').exists()
    # last_checkpoint names a file that is gone, and iter_3.pth is truncated
    assert open(tmp_path / 'last_checkpoint').read().endswith('iter_2.pth')
    with pytest.raises(Exception):
        load(tmp_path / 'iter_3.pth')


def test_stale_temp_files_removed(tmp_path):
    stale = tmp_path / '.iter_9.pth.tmp-123'
    stale.write_bytes(b'junk')
    Runner(**runner_cfg(tmp_path, ToyDataset(), max_iters=1,
                        checkpoint=ckpt_cfg('AtomicCheckpointHook'))).train()
    assert not stale.exists()
    assert (tmp_path / 'iter_1.pth').exists()


def test_atomic_write_text_failure_keeps_old(tmp_path, monkeypatch):
    path = tmp_path / 'last_checkpoint'
    atomic_write_text(str(path), 'old')

    def boom(src, dst):
        raise Crash('killed before rename')
    monkeypatch.setattr(os, 'replace', boom)
    with pytest.raises(Crash):
        atomic_write_text(str(path), 'new')
    monkeypatch.undo()
    assert path.read_text() == 'old'
    assert os.listdir(tmp_path) == ['last_checkpoint']


def test_best_checkpoint_atomic(tmp_path, monkeypatch):
    cfg = dict(ckpt_cfg('AtomicCheckpointHook'), save_best='acc',
               rule='greater')
    runner = Runner(**runner_cfg(tmp_path, ToyDataset(), max_iters=1,
                                 checkpoint=cfg))
    runner.train()
    hook = [h for h in runner.hooks if type(h).__name__ ==
            'AtomicCheckpointHook'][0]
    hook._save_best_checkpoint(runner, {'acc': 0.5})
    first = tmp_path / 'best_acc_iter_1.pth'
    assert load(first)['meta']['iter'] == 1

    runner.train_loop._iter = 5  # a later evaluation
    crash_on_third_save(monkeypatch, 'put')
    for _ in range(2):   # two saves pass through the fake, the third crashes
        LocalBackend().put(b'', str(tmp_path / 'scratch'))
    with pytest.raises(Crash):
        hook._save_best_checkpoint(runner, {'acc': 0.7})
    monkeypatch.undo()
    assert load(first)['meta']['iter'] == 1      # previous best survives
    assert not [f for f in os.listdir(tmp_path) if '.tmp-' in f]
    assert hook.best_ckpt_path == str(first)     # record rolled back
    assert runner.message_hub.get_info('best_score') == 0.5

    runner.train_loop._iter = 7
    hook._save_best_checkpoint(runner, {'acc': 0.9})
    assert not first.exists()                    # replaced only now
    assert load(tmp_path / 'best_acc_iter_7.pth')['meta']['iter'] == 7
    # CheckpointHook re-saves the regular checkpoint after a new best; its
    # max_keep_ckpts=1 rotation still removes the older one
    assert len([f for f in os.listdir(tmp_path)
                if f.startswith('iter_')]) == 1


def _record_disk_calls(monkeypatch):
    """Record fsync (by inode), os.replace and every open for writing."""
    import builtins
    calls = []
    real_fsync, real_replace, real_open = os.fsync, os.replace, builtins.open

    def fsync(fd):
        calls.append(('fsync', os.fstat(fd).st_ino))
        return real_fsync(fd)

    def replace(src, dst, *args, **kwargs):
        calls.append(('replace', str(src), str(dst)))
        return real_replace(src, dst, *args, **kwargs)

    def open_(file, mode='r', *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and set(mode) & set('wax+'):
            calls.append(('open', str(file), mode))
        return real_open(file, mode, *args, **kwargs)
    monkeypatch.setattr(os, 'fsync', fsync)
    monkeypatch.setattr(os, 'replace', replace)
    monkeypatch.setattr(builtins, 'open', open_)
    return calls


def test_last_checkpoint_written_tmp_fsync_replace_fsync_dir(tmp_path,
                                                              monkeypatch):
    """Pins the order for last_checkpoint: write a temp file, fsync it,
    os.replace it over the name, fsync the folder; never a truncating
    open() of last_checkpoint itself."""
    calls = _record_disk_calls(monkeypatch)
    Runner(**runner_cfg(tmp_path, ToyDataset(), max_iters=2,
                        checkpoint=ckpt_cfg('AtomicCheckpointHook'))).train()
    monkeypatch.undo()
    last = str(tmp_path / 'last_checkpoint')
    assert not [c for c in calls if c[0] == 'open' and c[1] == last]
    publishes = [i for i, c in enumerate(calls)
                 if c[0] == 'replace' and c[2] == last]
    assert len(publishes) == 2  # one per save
    i = publishes[-1]
    tmp = calls[i][1]
    assert os.path.dirname(tmp) == str(tmp_path) and tmp != last
    opened = [j for j, c in enumerate(calls[:i]) if c[:2] == ('open', tmp)]
    assert opened, 'last_checkpoint was not written through a temp file'
    # the temp file's inode is last_checkpoint's after the rename
    assert calls[i - 1] == ('fsync', os.stat(last).st_ino), calls[i - 3:i + 2]
    assert calls[i + 1] == ('fsync', os.stat(tmp_path).st_ino)
    # the checkpoint itself: fsync'ed and renamed before it is published
    ckpt = str(tmp_path / 'iter_2.pth')
    saved = [j for j, c in enumerate(calls)
             if c[0] == 'replace' and c[2] == ckpt]
    assert saved and saved[0] < i
    assert calls[saved[0] - 1] == ('fsync', os.stat(ckpt).st_ino)
    assert calls[saved[0] + 1] == ('fsync', os.stat(tmp_path).st_ino)


def test_crash_while_writing_last_checkpoint_keeps_the_old_one(
        tmp_path, monkeypatch):
    """The second save dies while last_checkpoint is being written: the
    file still names the first checkpoint, which is still there."""
    import builtins
    real_open = builtins.open
    seen = {'n': 0}

    class Dying:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, text):
            self.f.write(text[:3])
            self.f.flush()
            raise Crash('killed while writing last_checkpoint')

    def open_(file, mode='r', *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        if 'last_checkpoint' in str(file) and 'w' in mode:
            seen['n'] += 1
            if seen['n'] == 2:
                return Dying(f)
        return f
    monkeypatch.setattr(builtins, 'open', open_)
    runner = Runner(**runner_cfg(tmp_path, ToyDataset(), max_iters=3,
                                 checkpoint=ckpt_cfg('AtomicCheckpointHook')))
    with pytest.raises(Crash):
        runner.train()
    monkeypatch.undo()
    assert seen['n'] == 2
    last = (tmp_path / 'last_checkpoint').read_text()
    assert last == str(tmp_path / 'iter_1.pth')
    assert load(last)['meta']['iter'] == 1
    assert not [f for f in os.listdir(tmp_path) if '.tmp-' in f]


def disk_full_on_third_save(monkeypatch):
    """The third checkpoint write runs out of space half-way, as a real
    ``write()`` does: ``OSError(ENOSPC)`` naming no file."""
    import errno
    calls = {'n': 0}
    real = LocalBackend.put

    def fake(self, obj, filepath):
        calls['n'] += 1
        if calls['n'] < 3:
            return real(self, obj, filepath)
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 3])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(LocalBackend, 'put', fake)


@pytest.mark.parametrize('runner_cls', [Runner, DFERRunner])
def test_disk_full_names_the_checkpoint_and_the_intact_one(
        tmp_path, monkeypatch, runner_cls):
    import errno
    disk_full_on_third_save(monkeypatch)
    runner = runner_cls(**runner_cfg(
        tmp_path, ToyDataset(), max_iters=4,
        checkpoint=ckpt_cfg('AtomicCheckpointHook')))
    with pytest.raises(OSError) as info:
        runner.train()
    monkeypatch.undo()
    err = info.value
    assert err.errno == errno.ENOSPC
    msg = str(err)
    assert msg.startswith('[Errno 28] No space left on device while saving '
                          f"checkpoint '{tmp_path / 'iter_3.pth'}'"), msg
    assert f'the previous checkpoint {tmp_path / "iter_2.pth"} and ' \
        'last_checkpoint are intact' in msg and '--resume' in msg
    assert load(tmp_path / 'iter_2.pth')['meta']['iter'] == 2
    assert not [f for f in os.listdir(tmp_path) if '.tmp-' in f]


def test_atomic_save_on_a_full_disk_names_the_file(tmp_path, monkeypatch):
    """Without the hook (``atomic_save``, any ``atomic_path`` user) the
    error names the target too, with the same errno."""
    import errno
    from dfertools.utils.checkpoint import atomic_save
    target = tmp_path / 'model.pth'
    atomic_save({'w': torch.ones(2)}, target)

    def full(obj, f, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(torch, 'save', full)
    with pytest.raises(OSError) as info:
        atomic_save({'w': torch.zeros(2)}, target)
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert f"while writing '{target}'" in str(info.value)
    assert 'previous model.pth (if any) is intact' in str(info.value)
    assert torch.equal(load(target)['w'], torch.ones(2))
