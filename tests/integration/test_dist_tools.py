"""tools/dist_train.sh and tools/dist_test.sh with 2 CPU processes (gloo)."""

import pytest

from dfertools.utils.checkpoint import safe_load
from tests.fixtures.cli import TOY_CONFIG, check_ok, run, run_side_by_side


@pytest.mark.slow
def test_dist_train_then_dist_test_on_two_cpu_processes(tmp_path):
    """Two single-node jobs side by side, neither given a PORT (each
    rendezvous takes a free port of its own), then a distributed test."""
    works = [tmp_path / 'work', tmp_path / 'beside']
    ran = run_side_by_side(
        [(['bash', 'tools/dist_train.sh', TOY_CONFIG, '2', '--work-dir',
           str(work), '--cfg-options', 'train_cfg.max_epochs=1'],
          dict(PORT='')) for work in works],
        [tmp_path / 'work.log', tmp_path / 'beside.log'])
    codes, outs = zip(*ran)
    assert codes == (0, 0), [out[-3000:] for out in outs]
    for out in outs:
        # 16 samples, batch 4 per process, 2 processes -> 2 iterations
        assert 'Epoch(train) [1][2/2]' in out
    assert "'backend': 'gloo'" in outs[0] or 'backend=gloo' in outs[0]
    work = works[0]
    meta = safe_load(work / 'epoch_1.pth')['meta']
    assert (meta['epoch'], meta['iter']) == (1, 2)

    dump = tmp_path / 'preds.pkl'
    out = check_ok(run(['bash', 'tools/dist_test.sh', TOY_CONFIG,
                        str(work / 'epoch_1.pth'), '2', '--work-dir',
                        str(tmp_path / 'test'), '--dump', str(dump)],
                       PORT=''))
    assert 'acc/top1' in out
    from mmengine.fileio import load
    assert len(load(str(dump))) == 8  # all samples gathered from 2 ranks


def test_dist_scripts_print_usage():
    for script in ('dist_train.sh', 'dist_test.sh', 'dist_launch.sh',
                   'slurm_train.sh'):
        proc = run(['bash', f'tools/{script}'])
        assert proc.returncode == 2
        assert 'usage:' in proc.stderr
