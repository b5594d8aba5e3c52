"""Distributed runs through tools/dist_train.sh / dist_test.sh with two CPU
processes (gloo): uneven evaluation shards give the single-process metrics
and predictions, and a rank that raises brings the whole job down with its
error instead of leaving the other rank hanging in a collective."""
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.fixtures.cli import ROOT, TOY_CONFIG, check_ok, run, tool_env
from tests.fixtures.processes import process_gone, still_alive


@pytest.mark.slow
def test_uneven_shards_match_single_process(tmp_path):
    work = tmp_path / 'work'
    check_ok(run([sys.executable, 'tools/train.py', TOY_CONFIG, '--work-dir',
                  str(work), '--cfg-options', 'train_cfg.max_epochs=1']))
    ckpt = str(work / 'epoch_1.pth')
    # 7 test samples on 2 ranks: 4 + 3 (the sampler pads the second shard)
    opts = ['--cfg-options', 'test_dataloader.dataset.num_samples=7',
            'test_evaluator.type=ToyDumpMetric']
    one, two = tmp_path / 'one.json', tmp_path / 'two.json'
    out1 = check_ok(run([sys.executable, 'tools/test.py', TOY_CONFIG, ckpt,
                         '--work-dir', str(tmp_path / 't1'),
                         '--dump', str(one),
                         *opts]))
    out2 = check_ok(run(['bash', 'tools/dist_test.sh', TOY_CONFIG, ckpt, '2',
                         '--work-dir', str(tmp_path / 't2'),
                         '--dump', str(two),
                         *opts], PORT=''))
    assert "'backend': 'gloo'" in out2 or 'backend=gloo' in out2
    recs = [sorted(json.loads(p.read_text()), key=lambda r: r['video_id'])
            for p in (one, two)]
    assert len(recs[0]) == len(recs[1]) == 7  # padding removed
    for a, b in zip(*recs):
        assert a['video_id'] == b['video_id'] and a['label'] == b['label']
        assert a['probs'] == pytest.approx(b['probs'], abs=1e-6)

    def metric(out):
        return [ln.split('toy/acc: ')[1].split()[0]
                for ln in out.splitlines() if 'toy/acc: ' in ln]
    assert metric(out1) == metric(out2) and metric(out1)


CRASH_HOOK = '''
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from dfertools.registry import HOOKS


@HOOKS.register_module()
class CrashOnRankHook(Hook):
    def __init__(self, rank, iteration):
        self.rank, self.iteration = rank, iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if get_rank() == self.rank and runner.iter + 1 == self.iteration:
            raise RuntimeError(f'deliberate failure on rank {self.rank} '
                               f'at iteration {self.iteration}')
'''


@pytest.mark.slow
def test_a_rank_that_raises_brings_the_job_down(tmp_path):
    (tmp_path / 'crash_hook.py').write_text(CRASH_HOOK)
    cfg = tmp_path / 'crash_cfg.py'
    cfg.write_text(textwrap.dedent(f'''
        _base_ = [{TOY_CONFIG!r}]
        custom_imports = dict(
            imports=['tests.fixtures.toy_task', 'crash_hook'],
            allow_failed_imports=False)
        custom_hooks = [dict(type='CrashOnRankHook', rank=1, iteration=3)]
        train_cfg = dict(max_epochs=5)
    '''))
    # rank 0 is inside a DDP all-reduce when rank 1 dies: the launcher must
    # kill it and fail (within the subprocess timeout), not wait for the
    # collective's 30-minute timeout
    proc = run(['bash', 'tools/dist_train.sh', str(cfg), '2', '--work-dir',
                str(tmp_path / 'work')], timeout=300, PORT='',
               PYTHONPATH=f'{ROOT}{os.pathsep}{tmp_path}')
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert 'deliberate failure on rank 1 at iteration 3' in out, out[-3000:]


STALL_HOOK = '''
import os
import signal
import time

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from dfertools.registry import HOOKS


@HOOKS.register_module()
class StallOnRankHook(Hook):
    """Rank `rank` stops itself (SIGSTOP) before iteration `iteration`,
    after writing its pid and the time to `stamp`."""

    def __init__(self, rank, iteration, stamp):
        self.rank, self.iteration, self.stamp = rank, iteration, stamp

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if get_rank() == self.rank and runner.iter + 1 == self.iteration:
            with open(self.stamp, 'w') as f:
                f.write(f'{os.getpid()} {time.time()}')
            os.kill(os.getpid(), signal.SIGSTOP)
'''


def _hook_config(tmp_path, module, source, hook, max_epochs=5):
    (tmp_path / f'{module}.py').write_text(source)
    cfg = tmp_path / f'{module}_cfg.py'
    cfg.write_text(textwrap.dedent(f'''
        _base_ = [{TOY_CONFIG!r}]
        custom_imports = dict(
            imports=['tests.fixtures.toy_task', {module!r}],
            allow_failed_imports=False)
        custom_hooks = [{hook}]
        train_cfg = dict(max_epochs={max_epochs})
    '''))
    return str(cfg)


def _kill_if_alive(pid: int) -> None:
    if not process_gone(pid):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_stalled_rank_fails_the_job_within_the_timeout(tmp_path):
    """Rank 1 is SIGSTOPped before iteration 3: rank 0 waits in the DDP
    all-reduce for --dist-timeout seconds (20 s here, instead of gloo's 30
    minutes), fails with CollectiveTimeoutError, and torchrun takes the job
    down with a non-zero exit."""
    timeout_s = 20
    stamp = tmp_path / 'stalled'
    cfg = _hook_config(
        tmp_path, 'stall_hook', STALL_HOOK,
        f'dict(type="StallOnRankHook", rank=1, iteration=3, '
        f'stamp={str(stamp)!r})')
    try:
        proc = run(['bash', 'tools/dist_train.sh', cfg, '2', '--work-dir',
                    str(tmp_path / 'work'), '--dist-timeout',
                    str(timeout_s)],
                   timeout=timeout_s + 240, PORT='',
                   PYTHONPATH=f'{ROOT}{os.pathsep}{tmp_path}')
        ended = time.time()
    finally:
        if stamp.exists():
            _kill_if_alive(int(stamp.read_text().split()[0]))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    stalled_at = float(stamp.read_text().split()[1])
    waited = ended - stalled_at
    print(f'stalled rank: job ended {waited:.0f} s after the stall')
    # the timeout, plus torchrun's 30 s grace before SIGKILLing the stopped
    # rank, plus slack for a loaded machine
    assert timeout_s <= waited < timeout_s + 90, out[-3000:]
    assert 'CollectiveTimeoutError' in out, out[-3000:]
    assert f'process-group timeout ({float(timeout_s)} s)' in out
    assert '--dist-timeout' in out


def _children(pid: int) -> list:
    kids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


@pytest.mark.slow
def test_ranks_stop_when_the_launcher_is_killed(tmp_path):
    """SIGKILL the torchrun agent mid-training: both ranks notice their
    parent is gone and exit within seconds instead of training on to the
    end of a long run."""
    cfg = tmp_path / 'long.py'
    cfg.write_text(textwrap.dedent(f'''
        _base_ = [{TOY_CONFIG!r}]
        train_cfg = dict(max_epochs=200)
        train_dataloader = dict(dataset=dict(delay=0.02))
    '''))
    log = tmp_path / 'job.log'
    ranks = []
    with open(log, 'w') as out:
        proc = subprocess.Popen(
            ['bash', 'tools/dist_train.sh', str(cfg), '2', '--work-dir',
             str(tmp_path / 'work')], cwd=ROOT, stdout=out,
            stderr=subprocess.STDOUT,
            env=tool_env(PORT=''))
        try:
            deadline = time.time() + 180
            while not re.search(r'Epoch\(train\)\s*\[\s*2\]',
                                log.read_text()):
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.time() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            ranks = _children(proc.pid)  # bash exec'ed torchrun
            assert len(ranks) == 2, ranks
            proc.kill()
            proc.wait()
            alive = still_alive(ranks, 20)
        finally:
            if proc.poll() is None:
                proc.kill()
            for r in ranks:
                _kill_if_alive(r)
    text = log.read_text()
    assert alive == [], text[-3000:]
    said = re.findall(r'rank (\d+) \(pid \d+\): the launcher \(pid', text)
    assert sorted(said) == ['0', '1'], text[-3000:]   # each rank, once
    assert not re.search(r'Epoch\(train\)\s*\[200\]', text)
