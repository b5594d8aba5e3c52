"""tools/dist_train.sh and tools/dist_test.sh with 2 CPU processes (gloo)."""

import pytest

from dfertools.utils.checkpoint import safe_load
from tests.fixtures.cli import TOY_CONFIG, check_ok, free_port, run


@pytest.mark.slow
def test_dist_train_then_dist_test_on_two_cpu_processes(tmp_path):
    work = tmp_path / 'work'
    out = check_ok(run(['bash', 'tools/dist_train.sh', TOY_CONFIG, '2',
                        '--work-dir', str(work),
                        '--cfg-options', 'train_cfg.max_epochs=1'],
                       PORT=str(free_port())))
    # 16 samples, batch 4 per process, 2 processes -> 2 iterations
    assert 'Epoch(train) [1][2/2]' in out
    assert "'backend': 'gloo'" in out or 'backend=gloo' in out
    meta = safe_load(work / 'epoch_1.pth')['meta']
    assert (meta['epoch'], meta['iter']) == (1, 2)

    dump = tmp_path / 'preds.pkl'
    out = check_ok(run(['bash', 'tools/dist_test.sh', TOY_CONFIG,
                        str(work / 'epoch_1.pth'), '2', '--work-dir',
                        str(tmp_path / 'test'), '--dump', str(dump)],
                       PORT=str(free_port())))
    assert 'acc/top1' in out
    from mmengine.fileio import load
    assert len(load(str(dump))) == 8  # all samples gathered from 2 ranks


def test_dist_scripts_print_usage():
    for script in ('dist_train.sh', 'dist_test.sh', 'slurm_train.sh'):
        proc = run(['bash', f'tools/{script}'])
        assert proc.returncode == 2
        assert 'usage:' in proc.stderr
