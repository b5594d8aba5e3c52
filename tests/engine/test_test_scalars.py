"""tools/test.py with a TensorBoard backend: the test metrics are in the
event file (and in the local backend's scalars.json) as test/<metric>, at
the tested checkpoint's training iteration."""
import glob
import json
import os.path as osp

import pytest

from tests.fixtures.cli import TOY_CONFIG, check_ok, run_tool


def _event_scalars(work_dir):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    files = glob.glob(osp.join(str(work_dir), '*', 'vis_data',
                               'events.out.tfevents.*'))
    assert len(files) == 1, files
    acc = EventAccumulator(files[0])
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)]
            for tag in acc.Tags()['scalars']}


@pytest.mark.slow
def test_test_metrics_reach_tensorboard(tmp_path):
    pytest.importorskip('tensorboard')
    train = tmp_path / 'train'
    check_ok(run_tool('train.py', TOY_CONFIG, '--work-dir', str(train),
                      '--cfg-options', 'train_cfg.max_epochs=1'))
    ckpt = open(train / 'last_checkpoint').read().strip()
    test = tmp_path / 'test'
    # the tools add TensorboardVisBackend when tensorboard is installed
    out = check_ok(run_tool('test.py', TOY_CONFIG, ckpt, '--work-dir',
                            str(test)))
    import re
    printed = dict(re.findall(r'(acc/\w+): ([\d.]+)', out))
    assert printed
    scalars = _event_scalars(test)
    for name, value in printed.items():
        # 16 samples / batch 4 = 4 training iterations before the checkpoint
        [(step, logged)] = scalars[f'test/{name}']
        assert step == 4
        assert logged == pytest.approx(float(value), abs=1e-4)
    local = glob.glob(osp.join(str(test), '*', 'vis_data', 'scalars.json'))
    lines = [json.loads(ln) for ln in open(local[0])]
    assert any(f'test/{name}' in ln for ln in lines for name in printed)
