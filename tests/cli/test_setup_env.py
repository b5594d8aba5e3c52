"""The config plumbing shared by tools/train.py and tools/test.py."""
import argparse
import os

import pytest
import torch
from mmengine.config import Config

import dfertools  # noqa: F401
from dfertools.cli import setup_env
from tests.fixtures.cli import TOY_CONFIG, free_port
import tests.fixtures.toy_task  # noqa: F401  (registers ToyDumpMetric)


def _cfg(**extra):
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.merge_from_dict(extra)
    return cfg


def _args(**kw):
    base = dict(work_dir=None, launcher='none', local_rank=0)
    base.update(kw)
    return argparse.Namespace(**base)


def test_work_dir_default_scope_and_gloo():
    cfg = _cfg()
    cfg.pop('default_scope')
    setup_env.setup_common(cfg, _args())
    assert cfg.work_dir == './work_dirs/toy_recognizer'
    assert cfg.default_scope == 'dfertools'
    if not torch.cuda.is_available():
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    setup_env.setup_common(cfg, _args(work_dir='/tmp/x'))
    assert cfg.work_dir == '/tmp/x'


def test_missing_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py'):
        setup_env.load_config(str(tmp_path / 'nope.py'))


def test_auto_resume_without_checkpoint_keeps_load_from(tmp_path):
    cfg = _cfg(work_dir=str(tmp_path), load_from='pretrained.pth')
    setup_env.setup_resume(cfg, setup_env.AUTO)
    assert cfg.resume is False and cfg.load_from == 'pretrained.pth'


def test_auto_resume_picks_last_checkpoint(tmp_path):
    ckpt = tmp_path / 'epoch_3.pth'
    torch.save(dict(meta=dict(epoch=3), state_dict={}), ckpt)
    (tmp_path / 'last_checkpoint').write_text(str(ckpt))
    cfg = _cfg(work_dir=str(tmp_path), load_from='pretrained.pth')
    setup_env.setup_resume(cfg, setup_env.AUTO)
    assert cfg.resume is True and cfg.load_from == str(ckpt)


def test_amp_refuses_on_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(RuntimeError, match='--amp needs a CUDA GPU'):
        setup_env.setup_amp(_cfg())


@pytest.mark.parametrize('bf16,dtype', [(True, 'bfloat16'),
                                        (False, 'float16')])
def test_amp_dtype(monkeypatch, bf16, dtype):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: bf16)
    cfg = _cfg()
    setup_env.setup_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == dtype
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'


@pytest.mark.parametrize('kind', ['GradNormOptimWrapper',
                                  'AmpGradNormOptimWrapper'])
def test_amp_keeps_the_grad_norm_measurement(monkeypatch, kind):
    """HDF configs: --amp must keep the wrapper that measures g."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: True)
    cfg = _cfg()
    cfg.optim_wrapper.type = kind
    setup_env.setup_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpGradNormOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'


def test_amp_refuses_custom_wrapper(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = _cfg()
    cfg.optim_wrapper.type = 'MySAMWrapper'
    with pytest.raises(RuntimeError, match='MySAMWrapper'):
        setup_env.setup_amp(cfg)


def test_auto_scale_lr():
    cfg = _cfg()
    setup_env.setup_auto_scale_lr(cfg)
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=4)
    cfg.pop('auto_scale_lr')
    with pytest.raises(RuntimeError, match='base_batch_size'):
        setup_env.setup_auto_scale_lr(cfg)


def test_randomness():
    cfg = _cfg()
    setup_env.setup_randomness(cfg, 7, True)
    assert cfg.randomness == dict(seed=7, deterministic=True)


def test_dump_appends_dump_results_when_no_metric_takes_a_path():
    cfg = _cfg()
    assert setup_env.setup_dump(cfg, 'out.pkl') == 'DumpResults'
    # logs the metrics before DumpResults writes the file
    assert cfg.test_evaluator == dict(
        type='MetricsBeforeDumpEvaluator',
        metrics=[dict(type='AccMetric'),
                 dict(type='DumpResults', out_file_path='out.pkl')])
    with pytest.raises(ValueError, match=r'\.pkl'):
        setup_env.setup_dump(_cfg(), 'out.json')


def test_dump_sets_dump_path_on_every_metric_that_takes_it():
    cfg = _cfg(test_evaluator=[dict(type='ToyDumpMetric'),
                               dict(type='AccMetric')])
    assert setup_env.setup_dump(cfg, 'r.json') == 'dump_path'
    assert cfg.test_evaluator[0]['dump_path'] == 'r.json'
    assert 'dump_path' not in cfg.test_evaluator[1]
    assert len(cfg.test_evaluator) == 2


def test_dump_inside_evaluator_metrics():
    cfg = _cfg(test_evaluator=dict(type='Evaluator',
                                   metrics=dict(type='AccMetric')))
    setup_env.setup_dump(cfg, 'o.pkl')
    assert cfg.test_evaluator['metrics'][-1]['type'] == 'DumpResults'
    assert cfg.test_evaluator['type'] == 'MetricsBeforeDumpEvaluator'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_pytorch_launcher_on_cpu_uses_gloo_and_cpu_ddp(monkeypatch):
    import torch.distributed as dist
    port = str(free_port())
    for key, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                           MASTER_ADDR='127.0.0.1', MASTER_PORT=port).items():
        monkeypatch.setenv(key, value)
    cfg = _cfg()
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    try:
        setup_env.setup_common(cfg, _args(launcher='pytorch'))
        assert dist.is_initialized() and dist.get_backend() == 'gloo'
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
        assert cfg.model_wrapper_cfg.device_ids is None
    finally:
        # what tools/train.py and tools/test.py call after the run
        setup_env.close_distributed()
    assert not dist.is_initialized()
    setup_env.close_distributed()  # nothing to close: a no-op


def test_slurm_launcher_on_cpu_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(RuntimeError, match='tools/dist_train.sh'):
        setup_env.setup_common(_cfg(), _args(launcher='slurm'))


@pytest.mark.parametrize('installed', [True, False])
def test_tensorboard_backend_added_only_when_installed(monkeypatch, installed):
    import importlib.util
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec',
        lambda name, *a: (object() if installed else None)
        if name == 'tensorboard' else real_find_spec(name, *a))
    cfg = _cfg()
    setup_env.setup_common(cfg, _args())
    kinds = [b['type'] for b in cfg.visualizer.vis_backends]
    assert kinds[0] == 'LocalVisBackend'
    assert ('TensorboardVisBackend' in kinds) is installed
    setup_env.setup_common(cfg, _args())  # idempotent: never listed twice
    assert [b['type'] for b in cfg.visualizer.vis_backends].count(
        'TensorboardVisBackend') == int(installed)


def test_auto_tensorboard_false_keeps_backends_as_written(monkeypatch):
    import importlib.util
    monkeypatch.setattr(importlib.util, 'find_spec', lambda *a: object())
    cfg = _cfg(auto_tensorboard=False)
    setup_env.setup_common(cfg, _args())
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend']


def test_vis_backends_written_as_strings_are_refused_by_name(monkeypatch):
    # what `--cfg-options "visualizer.vis_backends=[dict(type=...)]"` gives
    import importlib.util
    monkeypatch.setattr(importlib.util, 'find_spec', lambda *a: object())
    cfg = _cfg()
    cfg.visualizer.vis_backends = ["dict(type='LocalVisBackend')"]
    with pytest.raises(ValueError, match='visualizer.vis_backends: every '
                       'entry must be a dict'):
        setup_env.setup_common(cfg, _args())


def test_slurm_launcher_takes_its_port_from_the_job(monkeypatch):
    """Set before either launcher (ours on CPU, MMEngine's on GPU) reads
    it; a MASTER_PORT already set is kept."""
    monkeypatch.setattr(setup_env, 'use_gloo_without_cuda', lambda cfg: None)
    monkeypatch.setattr(setup_env.dist_guard, 'watch_launcher', lambda: None)
    monkeypatch.setenv('SLURM_JOB_ID', '1234')
    monkeypatch.delenv('SLURM_STEP_ID', raising=False)
    monkeypatch.delenv('MASTER_PORT', raising=False)
    setup_env.setup_common(_cfg(), _args(launcher='slurm'))
    assert os.environ['MASTER_PORT'] == '24936'
    monkeypatch.setenv('MASTER_PORT', '31000')
    setup_env.setup_common(_cfg(), _args(launcher='slurm'))
    assert os.environ['MASTER_PORT'] == '31000'
