"""Distributed runs through tools/dist_train.sh / dist_test.sh with two CPU
processes (gloo): uneven evaluation shards give the single-process metrics
and predictions, and a rank that raises brings the whole job down with its
error instead of leaving the other rank hanging in a collective."""
import json
import os
import sys
import textwrap

import pytest

from tests.fixtures.cli import ROOT, TOY_CONFIG, check_ok, free_port, run


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
                         *opts], PORT=str(free_port())))
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
                str(tmp_path / 'work')], timeout=150, PORT=str(free_port()),
               PYTHONPATH=f'{ROOT}{os.pathsep}{tmp_path}')
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert 'deliberate failure on rank 1 at iteration 3' in out, out[-3000:]
