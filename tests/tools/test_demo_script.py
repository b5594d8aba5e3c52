"""tools/demo.sh run again reuses finished stages, resumes an interrupted
one and reruns stages whose seed changed — checked with a stand-in
interpreter that records the tool calls (tests/fixtures/
fake_demo_python.py) instead of training."""
import os
import signal
import subprocess
import time

import pytest

from tests.fixtures.cli import ROOT
from tests.fixtures.processes import still_alive

FAKE = os.path.join(ROOT, 'tests', 'fixtures', 'fake_demo_python.py')


def _demo(tmp_path, *method, **env):
    log = tmp_path / 'calls.log'
    if log.exists():
        log.unlink()
    full_env = dict(os.environ, PYTHON=FAKE, FAKE_LOG=str(log),
                    DATA=str(tmp_path / 'data'), SEED='0')
    full_env.update(env)
    proc = subprocess.run(['bash', 'tools/demo.sh', *method,
                           str(tmp_path / 'work')],
                          cwd=ROOT, env=full_env, capture_output=True,
                          text=True)
    calls = log.read_text().splitlines() if log.exists() else []
    return proc, calls


def _stage_times(tmp_path):
    """``(stage, status)`` of each line of the run's stage_times.tsv
    (the seconds must be whole numbers)."""
    lines = (tmp_path / 'work' / 'stage_times.tsv').read_text().splitlines()
    rows = [line.split('\t') for line in lines]
    assert all(len(r) == 3 and r[1].isdigit() for r in rows), lines
    return [(r[0], r[2]) for r in rows]


def _assert_stopped(pid):
    """Within 5 s, ``pid`` is gone or a zombie: no training left running."""
    assert not still_alive([pid], 5), \
        f'the fine-tuning beside (pid {pid}) is still running'


def _count(calls, tool):
    return sum(c.split()[0] == tool for c in calls)


def test_second_run_reuses_every_finished_stage(tmp_path):
    proc, calls = _demo(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _count(calls, 'make_synthetic.py') == 1
    assert _count(calls, 'train.py') == 3  # pretrain + 2 fine-tunings
    # each fine-tuning tests its final weights in its own process
    tuned = [c for c in calls if c.startswith('train.py') and
             'finetune_' in c]
    assert len(tuned) == 2 and all('--test --dump' in c for c in tuned)
    assert _count(calls, 'test.py') == 0
    # both probes in one process: the pretrained checkpoint and random init
    probes = [c for c in calls if c.startswith('linear_probe.py')]
    assert len(probes) == 1
    assert 'pretrain/epoch_1.pth random --seed 0 --dump' in probes[0]
    assert 'probe_pretrained.json' in probes[0] and \
        'probe_random.json' in probes[0]
    assert not any('--resume' in c for c in calls)
    # the two fine-tunings ran side by side: one row, their wall time
    assert _stage_times(tmp_path) == [
        ('data', 'ran'), ('pretrain', 'ran'),
        ('finetune_pretrained + finetune_scratch (side by side)', 'ran'),
        ('probes', 'ran')]
    report = [c for c in calls if c.startswith('demo_report.py')]
    assert len(report) == 1 and '--time-limit 600' in report[0]
    proc, calls = _demo(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [c.split()[0] for c in calls] == ['demo_report.py']
    # rewritten, not appended: this run reused every stage
    stages = ['data', 'pretrain', 'finetune_pretrained', 'finetune_scratch',
              'probes']
    assert _stage_times(tmp_path) == [(s, 'reused') for s in stages]
    assert 'reusing SynthDFER' in proc.stdout
    assert proc.stdout.count('reusing finished') == 4
    assert '=== demo results' in proc.stdout


def test_other_seed_reruns_the_stages_not_the_data(tmp_path):
    assert _demo(tmp_path)[0].returncode == 0
    proc, calls = _demo(tmp_path, SEED='1')
    assert proc.returncode == 0, proc.stderr
    assert _count(calls, 'make_synthetic.py') == 0
    assert _count(calls, 'train.py') == 3
    assert all('--seed 1' in c for c in calls if c.startswith('train.py'))
    assert not any('--resume' in c for c in calls)  # old stages deleted
    proc, calls = _demo(tmp_path, SEED='1', FRESH='1')
    assert _count(calls, 'train.py') == 3


@pytest.mark.parametrize('threads,each', [('4', '2'), ('1', '1')])
def test_fine_tunings_side_by_side_share_the_threads(tmp_path, threads,
                                                     each):
    proc, calls = _demo(tmp_path, OMP_NUM_THREADS=threads)
    assert proc.returncode == 0, proc.stderr
    trains = [c for c in calls if c.startswith('train.py')]
    assert trains[0].endswith(f'(OMP_NUM_THREADS={threads})')  # pretrain
    assert len(trains) == 3 and all(
        c.endswith(f'(OMP_NUM_THREADS={each})') for c in trains[1:])


def test_interrupted_stage_resumes_and_finished_ones_are_kept(tmp_path):
    proc, calls = _demo(tmp_path, FAKE_DIE_IN='finetune_scratch')
    assert proc.returncode != 0
    # the run beside the first fine-tuning failed: the demo says where
    # to look, and keeps the finished first one
    assert 'finetune_scratch failed' in proc.stderr
    assert 'console.log' in proc.stderr
    assert _count(calls, 'train.py') == 3  # the third one failed
    assert _count(calls, 'linear_probe.py') == 0
    proc, calls = _demo(tmp_path, FAKE_DIE_IN='finetune_scratch')
    assert proc.returncode == 0, proc.stderr
    trains = [c for c in calls if c.startswith('train.py')]
    assert len(trains) == 1 and 'finetune_scratch' in trains[0]
    assert '--resume' in trains[0]
    assert _count(calls, 'linear_probe.py') == 1
    assert _stage_times(tmp_path) == [
        ('data', 'reused'), ('pretrain', 'reused'),
        ('finetune_pretrained', 'reused'), ('finetune_scratch', 'ran'),
        ('probes', 'ran')]
    assert 'reusing finished' in proc.stdout


def test_supervised_method_is_timed_against_its_own_limit(tmp_path):
    """--method adatosk: data and one training, 15 minutes."""
    proc, calls = _demo(tmp_path, '--method', 'adatosk')
    assert proc.returncode == 0, proc.stderr
    assert _stage_times(tmp_path) == [('data', 'ran'), ('finetune', 'ran')]
    report = [c for c in calls if c.startswith('demo_report.py')]
    assert len(report) == 1 and '--time-limit 900' in report[0]


def test_a_failed_fine_tuning_stops_the_one_beside_it(tmp_path):
    """No training is left running when the demo stops: the first
    fine-tuning fails while the one beside it is running."""
    pid_file = tmp_path / 'work' / 'finetune_scratch' / 'fake.pid'
    proc, _ = _demo(tmp_path, FAKE_DIE_IN='finetune_pretrained',
                    FAKE_DIE_AFTER=str(pid_file),
                    FAKE_SLEEP_IN='finetune_scratch')
    assert proc.returncode != 0
    pid = int(pid_file.read_text())
    _assert_stopped(pid)   # the kill is sent before the demo exits


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_kill_stops_the_demo_and_the_run_beside(tmp_path, sig):
    """Ctrl-C (SIGINT to the terminal's process group) or a TERM while
    the scratch run is still going end the demo at once and that run."""
    env = dict(os.environ, PYTHON=FAKE, FAKE_LOG=str(tmp_path / 'calls.log'),
               DATA=str(tmp_path / 'data'), SEED='0',
               FAKE_SLEEP_IN='finetune_scratch')
    proc = subprocess.Popen(['bash', 'tools/demo.sh', str(tmp_path / 'work')],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    pid_file = tmp_path / 'work' / 'finetune_scratch' / 'fake.pid'
    deadline = time.time() + 60   # a loaded machine starts Python slowly
    while not pid_file.exists():
        assert proc.poll() is None and time.time() < deadline, \
            f'the demo ended or the run beside never started: {proc.poll()}'
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    os.killpg(proc.pid, sig)
    assert proc.wait(timeout=20) == 128 + sig   # well before its minute
    _assert_stopped(pid)
