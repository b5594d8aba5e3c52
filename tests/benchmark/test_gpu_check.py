"""tools/analysis/gpu_check.sh: options, refusal without CUDA, and the
whole check as a CPU smoke run (--device cpu --tiny)."""
import json

import pytest
import torch

from dfertools.benchmark.gpu_check import STEPS, step_datawait
from tests.fixtures.cli import run, run_tool

SCRIPT = 'tools/analysis/gpu_check.sh'


def test_help_and_plan_list_every_step():
    proc = run(['bash', SCRIPT, '--help'])
    assert proc.returncode == 0 and '--plan' in proc.stdout
    proc = run(['bash', SCRIPT, '--plan', '--out', 'X'])
    assert proc.returncode == 0, proc.stderr
    lines = [ln.strip() for ln in proc.stdout.splitlines()[1:]]
    names = [ln.split('.', 1)[1].split(':')[0].strip() for ln in lines]
    assert names == ['environment', 'finetune', 'pretrain', 'ddp', 'data',
                     'train', 'datawait', 'loader', 'summarize']
    assert set(STEPS) <= set(names)
    assert 'X/gpu_check.json' in proc.stdout


def test_bad_options_are_refused():
    for args in (['--bogus'], ['--device', 'tpu'], ['--device', 'cpu']):
        proc = run(['bash', SCRIPT, *args])
        assert proc.returncode == 2, args
        assert proc.stderr.count('\n') == 1 and 'gpu_check.sh:' in \
            proc.stderr
    proc = run_tool('analysis/gpu_check_step.py', 'loader', '--tiny')
    assert proc.returncode == 2 and '--data-root' in proc.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA is available')
def test_refuses_on_cpu_in_one_line(tmp_path):
    proc = run(['bash', SCRIPT, '--out', str(tmp_path / 'o')])
    assert proc.returncode == 3
    assert proc.stderr.count('\n') == 1
    assert 'no CUDA device' in proc.stderr and '--device cpu --tiny' in \
        proc.stderr
    assert not (tmp_path / 'o').exists()


def test_datawait_fraction_from_scalars(tmp_path):
    vis = tmp_path / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    rows = [dict(data_time=0.5, time=1.0)] * 2 + [
        dict(data_time=0.1, time=1.0, loss=1.0)] * 3 + [dict(acc=0.5)]
    (vis / 'scalars.json').write_text(
        '\n'.join(json.dumps(r) for r in rows))
    r = step_datawait(str(tmp_path), skip=2)
    assert r['logged_iters'] == 5
    assert r['data_wait_fraction'] == pytest.approx(1.3 / 5)
    assert r['data_wait_fraction_after_warmup'] == pytest.approx(0.1)
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        step_datawait(str(tmp_path / 'nothing'))


@pytest.mark.slow
def test_cpu_smoke_run_of_every_step(tmp_path):
    out = tmp_path / 'out'
    proc = run(['bash', SCRIPT, '--device', 'cpu', '--tiny', '--out',
                str(out)], timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / 'gpu_check.json').read_text())
    for name in STEPS + ('environment', ):
        assert 'error' not in summary[name], (name, summary[name])
    ft, pre = summary['finetune'], summary['pretrain']
    assert ft['amp'] == 'bf16' and ft['compare']['max_abs_diff'] < 1e-4
    assert ft['max_pow2_batch'] == 4 and pre['max_pow2_batch'] == 4
    assert summary['ddp']['world_size'] == 1
    assert summary['ddp']['max_abs_weight_diff_vs_plain'] == 0
    wait = summary['datawait']
    assert wait['logged_iters'] >= 1
    assert 0 <= wait['data_wait_fraction'] <= 1
    loader = summary['loader']
    assert loader['thread']['clips_per_s'] > 0
    assert loader['process']['clips_per_s'] > 0
    assert 'finetune (batch 2)' in (out / 'gpu_check.md').read_text()
