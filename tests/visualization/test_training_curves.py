"""Training curves from MMEngine's scalars.json."""
import json
import os

import pytest

from dfertools.visualization.training_curves import (plot_training_curves,
                                                     run_curves,
                                                     scalars_file)


def _write_run(root, losses, uars):
    d = root / '20260101_000000' / 'vis_data'
    d.mkdir(parents=True)
    rows = []
    step = 0
    for epoch, values in enumerate(losses, 1):
        for v in values:
            step += 1
            rows.append(dict(loss=v, lr=1e-3, epoch=epoch, iter=step,
                             step=step))
        if epoch - 1 < len(uars):
            rows.append({'dfer/UAR': uars[epoch - 1], 'dfer/WAR': 0.5,
                         'step': epoch})
    (d / 'scalars.json').write_text(''.join(json.dumps(r) + '\n'
                                            for r in rows))


def test_epoch_means_and_validation(tmp_path):
    _write_run(tmp_path, [[2.0, 1.0], [0.5, 0.5, 0.2]], [0.2, 0.4])
    c = run_curves(str(tmp_path))
    assert c['loss'] == {1: 1.5, 2: pytest.approx(0.4)}
    assert c['metric'] == {1: 0.2, 2: 0.4}


def test_plot_two_runs(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    _write_run(a, [[2.0], [1.0]], [0.1, 0.3])
    _write_run(b, [[2.0], [1.5]], [0.1, 0.2])
    out = plot_training_curves(dict(pretrained=str(a), scratch=str(b)),
                               str(tmp_path / 'curves.png'))
    assert os.path.getsize(out) > 5000


def test_missing_log_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        scalars_file(str(tmp_path))
