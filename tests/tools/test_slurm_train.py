"""tools/slurm_train.sh on a real SLURM cluster: 2 CPU tasks (gloo),
checkpoints, and a requeued job that resumes from the last checkpoint.

Needs a running cluster with an idle node of >= 2 CPUs; on one machine
``sudo bash tools/analysis/slurm_local_cluster.sh start`` sets one up.
Skipped, saying why, where there is none. Installs nothing itself.
"""
import json
import re
import shutil
import subprocess
import time

import pytest

from dfertools.utils.checkpoint import safe_load
from tests.fixtures.cli import ROOT, tool_env

PROBE_CONFIG = 'tests/fixtures/configs/toy_recognizer_probe.py'
EPOCHS = 10   # ~2 s each: the requeue lands well before the end


def _cluster_problem():
    for tool in ('slurmctld', 'sbatch', 'sinfo', 'scontrol'):
        if shutil.which(tool) is None:
            return (f'{tool} is not installed (sudo bash '
                    'tools/analysis/slurm_local_cluster.sh start installs '
                    'and starts a one-node cluster)')
    proc = subprocess.run(['sinfo', '-h', '-N', '-o', '%T %c'],
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        return ('no SLURM controller answers (sudo bash '
                'tools/analysis/slurm_local_cluster.sh start): '
                + proc.stderr.strip()[:200])
    if not any(state.startswith(('idle', 'mixed')) and int(cpus) >= 2
               for state, cpus in (line.split()[:2] for line in
                                   proc.stdout.splitlines() if line.strip())):
        return f'no idle SLURM node with >= 2 CPUs: {proc.stdout.strip()!r}'
    return None


def _job_state(job):
    out = subprocess.run(['scontrol', 'show', 'job', job],
                         capture_output=True, text=True).stdout
    match = re.search(r'JobState=(\S+)', out)
    return match.group(1) if match else 'GONE'


def _wait(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f'timed out after {timeout} s waiting for {what}')


@pytest.mark.slow
def test_slurm_train_two_tasks_requeue_resumes(tmp_path):
    problem = _cluster_problem()
    if problem:
        pytest.skip(problem)
    work = tmp_path / 'work'
    log = tmp_path / 'job.out'
    # 0.25 s per sample: an epoch (8 samples per task) takes ~2 s, so the
    # requeue lands mid-run
    train = ('bash tools/slurm_train.sh debug dfer-slurm-test '
             f'{PROBE_CONFIG} {work} 2 --resume --cfg-options '
             f'train_cfg.max_epochs={EPOCHS} '
             'train_dataloader.dataset.delay=0.25')
    # no MASTER_PORT: the ranks agree on the port derived from the job id
    env = tool_env(GPUS_PER_NODE='0', CPUS_PER_TASK='1')
    env.pop('MASTER_PORT', None)
    job = subprocess.run(
        ['sbatch', '--parsable', '--requeue', '--open-mode=append',
         '-n', '2', '-c', '1', '-o', str(log), '-J', 'dfer-slurm-test',
         '--wrap', train], cwd=ROOT, env=env, capture_output=True,
        text=True, check=True).stdout.strip().split(';')[0]
    try:
        _wait(lambda: (work / 'epoch_2.pth').is_file(), 240,
              'the first run\'s epoch_2.pth')
        subprocess.run(['scontrol', 'requeue', job], check=True)
        requeued_at = time.time()
        # a requeued job waits ~2 minutes (its BeginTime) before it may
        # start again; let it start now. Not within the second of the
        # requeue, though: the kill revokes the job's credential with a
        # one-second timestamp, and slurmd refuses ("already killed, do not
        # launch batch job", and the job ends FAILED) a relaunch whose
        # credential carries the same second
        _wait(lambda: _job_state(job) == 'PENDING', 120,
              'the requeued job to be pending')
        time.sleep(max(0.0, int(requeued_at) + 2 - time.time()))
        subprocess.run(['scontrol', 'update', f'JobId={job}',
                        'StartTime=now'], check=True)
        _wait(lambda: _job_state(job) in ('COMPLETED', 'FAILED',
                                          'CANCELLED', 'GONE'), 300,
              'the requeued job to finish')
    finally:
        if _job_state(job) in ('PENDING', 'RUNNING', 'REQUEUED'):
            subprocess.run(['scancel', job])
    text = log.read_text()
    assert _job_state(job) == 'COMPLETED', text[-3000:]
    assert "'backend': 'gloo'" in text or 'backend=gloo' in text
    # the first run started fresh, the requeued one resumed
    assert 'no checkpoint in' in text
    resumed = re.findall(r'--resume: continuing from \S*epoch_(\d+)\.pth',
                         text)
    assert resumed, text[-3000:]
    start = int(resumed[-1])
    assert 2 <= start < EPOCHS
    meta = safe_load(work / f'epoch_{EPOCHS}.pth')['meta']
    assert (meta['epoch'], meta['iter']) == (EPOCHS, 2 * EPOCHS)
    # the probe files are the requeued run's: it trained only the epochs
    # after the checkpoint, on both tasks, with disjoint samples
    ranks = [json.loads((work / 'dist_probe' / f'rank{r}.json').read_text())
             for r in (0, 1)]
    assert [r['world_size'] for r in ranks] == [2, 2]
    for r in ranks:
        assert len(r['ids']) == 8 * (EPOCHS - start)
    assert not set(ranks[0]['ids'][:8]) & set(ranks[1]['ids'][:8])
    assert ranks[0]['digest'] == ranks[1]['digest']


def test_slurm_rank_env_from_task_variables():
    from dfertools.utils.slurm_env import export_rank_env
    env = dict(SLURM_PROCID='3', SLURM_NTASKS='4', SLURM_LOCALID='1',
               SLURM_NODELIST='node[01-02]', MASTER_ADDR='10.0.0.7')
    assert export_rank_env(env) == dict(
        RANK='3', WORLD_SIZE='4', LOCAL_RANK='1', MASTER_ADDR='10.0.0.7',
        MASTER_PORT='29500')
    with pytest.raises(RuntimeError, match='SLURM_PROCID.*srun'):
        export_rank_env(dict(SLURM_NTASKS='2', SLURM_NODELIST='n1'))
    env.pop('MASTER_PORT')
    env['SLURM_JOB_ID'] = '1234'   # 20000 + 4936
    assert export_rank_env(env)['MASTER_PORT'] == '24936'


def test_slurm_jobs_side_by_side_get_their_own_port():
    from dfertools.utils.slurm_env import job_port, set_job_port

    def port(job, step=None):
        env = dict(SLURM_JOB_ID=job)
        if step is not None:
            env['SLURM_STEP_ID'] = step
        return job_port(env)

    # 20000 + (4 * job + step) % 10000, worked out by hand
    assert port('1234') == port('1234', '0') == '24936'
    assert port('1235') == '24940' and port('1234', '1') == '24937'
    assert port('98765') == '25060'   # 395060 % 10000 = 5060
    assert port('4') == port('2504') == '20016'   # 10000 apart: they meet
    assert port('1234', 'batch') == '24936'
    assert port('') == port('12_3') == '29500' == job_port({})
    env = dict(SLURM_JOB_ID='1234', MASTER_PORT='31000')
    assert set_job_port(env) == '31000' == env['MASTER_PORT']
    env = dict(SLURM_JOB_ID='1234')
    assert set_job_port(env) == '24936' == env['MASTER_PORT']
