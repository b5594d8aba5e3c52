"""A SIGKILL anywhere in the checkpoint sequence leaves a work dir that
``tools/train.py --resume`` continues: deterministic kills between
publishing ``last_checkpoint`` and pruning the outdated checkpoint (and
just after pruning), and a slow soak of random kills.

The runs save a checkpoint every iteration with ``max_keep_ckpts=1`` (the
setting where a deleted-then-published order loses the only checkpoint)."""
import os
import os.path as osp
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.fixtures.checkpoints import checkpoint_meta
from tests.fixtures.cli import ROOT, TOY_CONFIG, check_ok, run_tool, tool_env


def write_config(tmp_path, max_iters):
    cfg = tmp_path / 'every_iter.py'
    cfg.write_text(textwrap.dedent(f'''
        _base_ = [{TOY_CONFIG!r}]
        custom_imports = dict(
            imports=['tests.fixtures.toy_task', 'tests.fixtures.kill_switch'],
            allow_failed_imports=False)
        train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                         max_iters={max_iters}, val_interval=10000)
        param_scheduler = [dict(type='ConstantLR', factor=1.0,
                                by_epoch=False)]
        log_processor = dict(by_epoch=False)
        default_hooks = dict(checkpoint=dict(by_epoch=False, interval=1,
                                             max_keep_ckpts=1))
    '''))
    return str(cfg)


@pytest.mark.parametrize('kill_at', ['after_publish', 'after_prune'])
def test_kill_between_publish_and_prune_resumes(tmp_path, kill_at):
    cfg = write_config(tmp_path, max_iters=4)
    work = tmp_path / 'work'
    proc = run_tool('train.py', cfg, '--work-dir', str(work),
                    DFER_KILL_AT=kill_at)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    last = (work / 'last_checkpoint').read_text()
    # published first: last_checkpoint names a checkpoint that exists
    assert last == str(work / 'iter_2.pth') and osp.isfile(last)
    assert (work / 'iter_1.pth').exists() == (kill_at == 'after_publish')

    out = check_ok(run_tool('train.py', cfg, '--work-dir', str(work),
                            '--resume'))
    assert f'continuing from {work / "iter_2.pth"}' in out
    assert 'Iter(train) [3/4]' in out and 'Iter(train) [1/4]' not in out
    assert checkpoint_meta(work / 'iter_4.pth')['iter'] == 4
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_4.pth')


def _last_checkpoint_state(work):
    """``'ok'``, ``'absent'`` or what is wrong with last_checkpoint."""
    from dfertools.utils.resume import checkpoint_problem, \
        read_last_checkpoint
    named = read_last_checkpoint(str(work))
    if named is None:
        return 'absent'
    if not named:
        return 'empty'
    problem = checkpoint_problem(named)
    return 'ok' if problem is None else f'{named} {problem}'


def _wait_for_new_checkpoint(proc, last, old_mtime, deadline):
    while proc.poll() is None and time.time() < deadline:
        if last.exists() and last.stat().st_mtime_ns != old_mtime:
            return
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.timeout(1500)   # 308-370 s measured; 21 tool starts, loaded VMs
def test_random_kill_soak(tmp_path):
    """>= 20 SIGKILLs at random moments of a run that saves a checkpoint
    every iteration (max_keep_ckpts=1); after each one, last_checkpoint
    must name a loadable checkpoint and the next --resume must start; the
    run must finish all its iterations."""
    kills_wanted, max_iters = 20, 60
    rng = random.Random(1234)
    cfg = write_config(tmp_path, max_iters=max_iters)
    work = tmp_path / 'work'
    last = work / 'last_checkpoint'
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), cfg,
           '--work-dir', str(work), '--resume']
    kills, stale, unrecoverable, attempts = 0, [], [], 0
    started = time.time()
    while True:
        attempts += 1
        assert attempts <= kills_wanted + 5, 'the run never finished'
        old = last.stat().st_mtime_ns if last.exists() else None
        log = tmp_path / f'attempt_{attempts}.log'
        with open(log, 'w') as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=tool_env(),
                                    stdout=out, stderr=subprocess.STDOUT)
            if kills < kills_wanted:
                if rng.random() < 0.15:  # while starting / loading
                    time.sleep(rng.uniform(0, 8))
                else:  # during training: after a new checkpoint appeared
                    _wait_for_new_checkpoint(proc, last, old,
                                             time.time() + 120)
                    time.sleep(rng.uniform(0, 1.5))
            if kills < kills_wanted and proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            rc = proc.wait(timeout=300)
        if rc == -signal.SIGKILL:
            state = _last_checkpoint_state(work)
            if state not in ('ok', 'absent'):
                stale.append(state)
            continue
        if rc != 0:
            unrecoverable.append(log.read_text()[-2000:])
        break
    elapsed = time.time() - started
    print(f'soak: {kills} kills, {attempts} runs, {elapsed:.0f} s')
    assert kills >= kills_wanted
    assert unrecoverable == [], unrecoverable[0]
    assert stale == [], stale
    assert checkpoint_meta(work / f'iter_{max_iters}.pth')['iter'] == max_iters
    # every resumed attempt said where it continued from
    resumed = [p for p in tmp_path.glob('attempt_*.log')
               if 'continuing from' in p.read_text()]
    assert resumed
    assert not [f for f in os.listdir(work) if '.tmp-' in f]
