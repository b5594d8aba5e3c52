"""dfertools.utils.dist_guard: the process-group timeout reaches
init_process_group (config key, flag, default), timeouts are explained, and
a rank whose launcher died stops (fast checks; the distributed runs are in
tests/integration/test_dist_failures.py)."""
import argparse
import datetime
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.config import Config

import dfertools  # noqa: F401
from dfertools.cli import setup_env
from dfertools.utils import dist_guard
from tests.fixtures.cli import ROOT, TOY_CONFIG, tool_env
from tests.fixtures.processes import still_alive


def _args(**kw):
    base = dict(work_dir=None, launcher='none', local_rank=0,
                dist_timeout=None)
    base.update(kw)
    return argparse.Namespace(**base)


def test_timeout_default_config_and_flag():
    cfg = Config.fromfile(TOY_CONFIG)
    setup_env.setup_common(cfg, _args())
    assert cfg.env_cfg.dist_cfg.timeout == dist_guard.DEFAULT_TIMEOUT_S
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.env_cfg.dist_cfg.timeout = 120
    setup_env.setup_common(cfg, _args())
    assert cfg.env_cfg.dist_cfg.timeout == 120  # the config's is kept
    setup_env.setup_common(cfg, _args(dist_timeout=30.0))
    assert cfg.env_cfg.dist_cfg.timeout == 30.0  # the flag wins


@pytest.mark.parametrize('bad', ['0', '-5', 'soon'])
def test_flag_refuses_non_positive_seconds(bad, capsys):
    parser = argparse.ArgumentParser()
    setup_env.add_common_args(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(['--dist-timeout', bad])
    assert 'give a positive number of seconds' in capsys.readouterr().err


def test_config_value_must_be_seconds():
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.env_cfg.dist_cfg.timeout = '30min'
    with pytest.raises(ValueError, match='env_cfg.dist_cfg.timeout'):
        dist_guard.setup_timeout(cfg)


def test_cpu_fallback_passes_the_timeout(monkeypatch):
    """MMEngine's init_dist converts dist_cfg.timeout itself; our CPU path
    calls init_process_group directly and must pass it too."""
    import torch.distributed as dist
    seen = {}
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(dist, 'is_initialized', lambda: False)
    monkeypatch.setattr(dist, 'init_process_group',
                        lambda **kw: seen.update(kw))
    monkeypatch.delenv('TORCHELASTIC_RUN_ID', raising=False)
    cfg = Config.fromfile(TOY_CONFIG)
    setup_env.setup_common(cfg, _args(launcher='pytorch', dist_timeout=45.0))
    assert seen == dict(backend='gloo',
                        timeout=datetime.timedelta(seconds=45))


def test_collective_timeout_is_explained(monkeypatch):
    import torch.distributed as dist
    monkeypatch.setattr(dist, 'is_initialized', lambda: True)
    monkeypatch.setattr(dist, 'get_rank', lambda: 1)
    gloo = ('[third_party/gloo/gloo/transport/tcp/unbound_buffer.cc:78] '
            'Timed out waiting 20000ms for recv operation to complete')
    with pytest.raises(dist_guard.CollectiveTimeoutError) as info:
        with dist_guard.explain_collective_timeouts(20.0):
            raise RuntimeError(gloo)
    msg = str(info.value)
    assert msg.startswith('rank 1: a collective operation waited more than '
                          'the process-group timeout (20.0 s)')
    assert '--dist-timeout' in msg and gloo in msg
    # other errors, a DataLoader's timeout among them, pass unchanged
    with pytest.raises(RuntimeError, match='^DataLoader timed out'):
        with dist_guard.explain_collective_timeouts(20.0):
            raise RuntimeError('DataLoader timed out after 5 seconds')



_SLEEP_ON = '''
    assert dist_guard.watch_launcher(interval=0.1) is not None
    open({ready!r}, 'w').close()
    time.sleep(60)
'''
# the watchdog will not poll again; the peer rank noticed first, exited, and
# this rank's next collective fails (as gloo's does) once it is orphaned
_FAIL_IN_A_COLLECTIVE = '''
    assert dist_guard.watch_launcher(interval=3600) is not None
    parent = os.getppid()
    open({ready!r}, 'w').close()
    while os.getppid() == parent:
        time.sleep(0.05)
    with dist_guard.explain_collective_timeouts(600.0):
        raise RuntimeError('[../gloo/transport/tcp/pair.cc:553] Connection '
                           'closed by peer [127.0.0.1]:38022')
'''


@pytest.mark.parametrize('body', [_SLEEP_ON, _FAIL_IN_A_COLLECTIVE],
                         ids=['watchdog', 'error-after-the-launcher-died'])
def test_rank_stops_when_its_launcher_dies(tmp_path, body):
    """A process whose parent (the launcher) exits is re-parented; the
    watchdog notices and ends it with a message instead of letting it run
    on (here it would sleep for 60 s). A rank whose collective fails first
    names the lost launcher too, not only the broken connection."""
    script = tmp_path / 'launcher.py'
    script.write_text(textwrap.dedent('''
        import os, subprocess, sys, time
        rank = subprocess.Popen([sys.executable, sys.argv[1]],
                                stdout=subprocess.DEVNULL,
                                stderr=open(sys.argv[2], 'w'))
        print(rank.pid, flush=True)
        deadline = time.time() + 30
        while not os.path.exists(sys.argv[3]) and time.time() < deadline:
            time.sleep(0.05)  # the rank's watchdog is running: now "die"
        os._exit(0)
    '''))
    rank = tmp_path / 'rank.py'
    ready = tmp_path / 'ready'
    rank.write_text('import os, time\n'
                    'from dfertools.utils import dist_guard\n'
                    + textwrap.dedent(body).format(ready=str(ready)))
    log = tmp_path / 'rank.log'
    env = tool_env(TORCHELASTIC_RUN_ID='test', RANK='3')
    proc = subprocess.run([sys.executable, str(script), str(rank), str(log),
                           str(ready)],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    pid = int(proc.stdout.split()[0])
    stopped = not still_alive([pid], 20)
    if not stopped:
        os.kill(pid, signal.SIGKILL)
    text = log.read_text()
    assert stopped, text
    assert 'rank 3 (pid' in text and 'the launcher (pid' in text, text
    assert 'is gone; stopping this rank' in text
    assert 'Traceback' not in text, text
    if body is _FAIL_IN_A_COLLECTIVE:
        assert 'a consequence: RuntimeError: [../gloo/transport/tcp/' \
            'pair.cc:553] Connection closed by peer' in text, text


def test_an_error_with_the_launcher_alive_is_raised_unchanged(monkeypatch):
    monkeypatch.setattr(dist_guard, '_launcher', os.getppid())
    with pytest.raises(RuntimeError, match='^Connection closed by peer$'):
        with dist_guard.explain_collective_timeouts(600.0):
            raise RuntimeError('Connection closed by peer')


def test_watchdog_is_off_outside_torchrun(monkeypatch):
    monkeypatch.delenv('TORCHELASTIC_RUN_ID', raising=False)
    monkeypatch.setattr(dist_guard, '_watchdog', None)
    assert dist_guard.watch_launcher() is None


def test_a_rank_says_its_launcher_is_gone_once():
    """The watchdog and the main thread (a failed collective) can see the
    lost launcher at the same moment: one of them says it and ends the
    rank. The flush between message and exit is slowed to widen the
    window."""
    script = textwrap.dedent('''
        import threading, time
        from dfertools.utils import dist_guard
        dist_guard._launcher = 1
        dist_guard._flush_logs = lambda: time.sleep(0.5)
        threading.Thread(target=dist_guard._stop_for_lost_launcher,
                         args=(' (watchdog)',), daemon=True).start()
        dist_guard._stop_for_lost_launcher(' (main)')
    ''')
    proc = subprocess.run([sys.executable, '-c', script], cwd=ROOT,
                          env=tool_env(RANK='0'), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == dist_guard.LAUNCHER_GONE_EXIT, proc.stderr
    assert proc.stderr.count('the launcher (pid 1) is gone') == 1, \
        proc.stderr
