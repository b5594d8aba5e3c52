"""The optional torch.compile switch: ``tools/train.py --compile``
sets MMEngine's ``compile`` config key, the Runner compiles the train step
with it and training runs."""
import pytest
from mmengine.config import Config

from dfertools.cli import setup_env
from tests.fixtures.cli import TOY_CONFIG, run_tool


@pytest.mark.parametrize('current,backend,expected', [
    (None, None, True),
    (None, 'aot_eager', dict(backend='aot_eager')),
    (dict(mode='reduce-overhead'), None, dict(mode='reduce-overhead')),
    (dict(mode='max-autotune', backend='inductor'), 'aot_eager',
     dict(mode='max-autotune', backend='aot_eager')),
])
def test_setup_compile_sets_the_config_key(current, backend, expected):
    cfg = Config(dict(compile=current) if current else {})
    setup_env.setup_compile(cfg, backend)
    got = cfg.compile.to_dict() if hasattr(cfg.compile, 'to_dict') else \
        cfg.compile
    assert got == expected


def test_train_tool_compiles_the_train_step(tmp_path):
    # aot_eager traces fwd+bwd through dynamo/AOTAutograd without needing a
    # C++ toolchain, in seconds (inductor works too but takes ~20 s more)
    proc = run_tool('train.py', TOY_CONFIG, '--work-dir',
                    str(tmp_path / 'w'), '--compile', 'aot_eager',
                    '--cfg-options', 'train_cfg.max_epochs=1')
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert 'Model has been "compiled"' in out
    assert 'Epoch(train) [1][4/4]' in out
