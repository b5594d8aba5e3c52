"""tools/demo.sh run again reuses finished stages, resumes an interrupted
one and reruns stages whose seed changed — checked with a stand-in
interpreter that records the tool calls (tests/fixtures/
fake_demo_python.py) instead of training."""
import os
import subprocess

from tests.fixtures.cli import ROOT

FAKE = os.path.join(ROOT, 'tests', 'fixtures', 'fake_demo_python.py')


def _demo(tmp_path, **env):
    log = tmp_path / 'calls.log'
    if log.exists():
        log.unlink()
    full_env = dict(os.environ, PYTHON=FAKE, FAKE_LOG=str(log),
                    DATA=str(tmp_path / 'data'), SEED='0')
    full_env.update(env)
    proc = subprocess.run(['bash', 'tools/demo.sh', str(tmp_path / 'work')],
                          cwd=ROOT, env=full_env, capture_output=True,
                          text=True)
    calls = log.read_text().splitlines() if log.exists() else []
    return proc, calls


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
    proc, calls = _demo(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [c.split()[0] for c in calls] == ['demo_report.py']
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


def test_interrupted_stage_resumes_and_finished_ones_are_kept(tmp_path):
    proc, calls = _demo(tmp_path, FAKE_DIE_IN='finetune_scratch')
    assert proc.returncode != 0
    assert _count(calls, 'train.py') == 3  # the third one failed
    assert _count(calls, 'linear_probe.py') == 0
    proc, calls = _demo(tmp_path, FAKE_DIE_IN='finetune_scratch')
    assert proc.returncode == 0, proc.stderr
    trains = [c for c in calls if c.startswith('train.py')]
    assert len(trains) == 1 and 'finetune_scratch' in trains[0]
    assert '--resume' in trains[0]
    assert _count(calls, 'linear_probe.py') == 1
    assert 'reusing finished' in proc.stdout
