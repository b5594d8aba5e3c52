"""Shared plumbing of ``tools/train.py`` and ``tools/test.py``.

The tools follow MMAction2's conventions (same flags, same config keys) with
these of its known problems fixed:

* ``--resume`` without a value in a work dir that has no checkpoint yet
  starts from scratch *keeping* the config's ``load_from`` (MMAction2 drops it,
  so a preemptible fine-tuning job silently starts from random weights), and
  says which checkpoint it resumes from; a missing explicit path is an error
  before anything is built.
* ``--amp`` picks bf16 where the GPU supports it (fp16 otherwise) and refuses
  clearly on CPU or with an optimizer wrapper it cannot convert, instead of
  MMEngine's bare ``AssertionError`` deep inside the Runner.
* ``--auto-scale-lr`` fails with the config's name when ``auto_scale_lr``
  or its ``base_batch_size`` is missing.
* Without CUDA, ``nccl`` becomes ``gloo``, the ``pytorch`` and ``slurm``
  launchers' process group is created here (MMEngine's call
  ``torch.cuda.set_device``; :mod:`dfertools.utils.slurm_env`)
  and DDP wraps the CPU model without ``device_ids``, so
  ``tools/dist_train.sh`` runs CPU processes.
* ``--dist-timeout`` / ``env_cfg.dist_cfg.timeout`` bound how long a
  collective waits for a stalled rank (default 600 s instead of gloo's 30
  minutes), and under torchrun each rank stops when the launcher dies
  (:mod:`dfertools.utils.dist_guard`).
* ``--dump`` sets ``dump_path`` on every test metric that takes one and only
  falls back to MMEngine's ``DumpResults`` (``.pkl``) when none does.
"""
import argparse
import inspect
import logging
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

from dfertools.utils import dist_guard, preflight, slurm_env
from dfertools.utils.cfg_options import (CfgOptionsAction,
                                         check_override_types)
from dfertools.utils.resume import find_resumable_checkpoint
from . import config_check

AUTO = 'auto'


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Flags both tools share."""
    parser.add_argument('--work-dir', help='folder for logs and checkpoints '
                        '(default: the config\'s work_dir, else '
                        './work_dirs/<config name>)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=CfgOptionsAction,
        metavar='KEY=VALUE',
        help='override config keys, e.g. train_cfg.max_epochs=5 '
        '"optim_wrapper.optimizer.lr=1e-4"; lists as key="[a,b]"; spaces '
        'inside a single value are kept')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm'],
                        help='job launcher (set by tools/dist_*.sh)')
    parser.add_argument(
        '--dist-timeout', type=dist_guard.positive_seconds, metavar='SECONDS',
        help='distributed runs: how long a collective waits for a stalled '
        'rank before the job fails (env_cfg.dist_cfg.timeout; default: the '
        f'config\'s, else {dist_guard.DEFAULT_TIMEOUT_S})')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0,
                        help=argparse.SUPPRESS)


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file, with a clear error when it is missing; refuse
    dataset arguments nobody takes and warn about top-level keys nobody
    reads (:mod:`dfertools.cli.config_check`)."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'config file {path!r} does not exist; pass the path of a '
            'config under configs/ (e.g. configs/demo/...)')
    cfg = Config.fromfile(path)
    if cfg_options:
        check_override_types(cfg, cfg_options, path)
        cfg.merge_from_dict(cfg_options)
    config_check.warn_unknown_top_level_keys(cfg)
    config_check.check_dataset_keys(cfg)
    return cfg


def setup_common(cfg: Config, args: argparse.Namespace) -> Config:
    """Work dir, default scope, launcher and the CPU distributed fallback."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(getattr(args, 'local_rank', 0))
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        stem = osp.splitext(osp.basename(cfg.filename or 'run'))[0]
        cfg.work_dir = osp.join('./work_dirs', stem)
    if cfg.get('default_scope') is None:
        cfg.default_scope = 'dfertools'
    cfg.launcher = args.launcher
    if cfg.launcher == 'slurm':   # MMEngine's GPU path reads it too
        slurm_env.set_job_port()
    dist_guard.setup_timeout(cfg, getattr(args, 'dist_timeout', None))
    use_gloo_without_cuda(cfg)
    if cfg.launcher != 'none':
        dist_guard.watch_launcher()
    add_installed_vis_backends(cfg)
    return cfg


def add_installed_vis_backends(cfg: Config) -> None:
    """Append ``TensorboardVisBackend`` to the visualizer when the
    ``tensorboard`` package is installed and the config does not list it.

    This lives here and not in ``default_runtime.py`` because configs must
    not import anything (see that file). ``auto_tensorboard = False`` in a
    config keeps its backends exactly as written."""
    if not cfg.get('auto_tensorboard', True):
        return
    visualizer = cfg.get('visualizer')
    if not isinstance(visualizer, dict):
        return
    import importlib.util
    if importlib.util.find_spec('tensorboard') is None:
        return
    backends = list(visualizer.get('vis_backends') or [])
    bad = [b for b in backends if not isinstance(b, dict)]
    if bad:
        raise ValueError(
            f'visualizer.vis_backends: every entry must be a dict such as '
            f"dict(type='LocalVisBackend'), got {bad[0]!r}. --cfg-options "
            'cannot write dicts inside a list; set vis_backends in a config '
            'file that inherits yours (or auto_tensorboard=False to keep the '
            'backends as written).')
    if any(b.get('type') == 'TensorboardVisBackend' for b in backends):
        return
    backends.append(dict(type='TensorboardVisBackend'))
    visualizer['vis_backends'] = backends


def use_gloo_without_cuda(cfg: Config) -> None:
    """Make a CUDA-less machine run distributed jobs on CPU with gloo."""
    if torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    dist_cfg = env_cfg.setdefault('dist_cfg', ConfigDict(backend='gloo'))
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
    if cfg.get('launcher', 'none') == 'none':
        return
    if cfg.launcher == 'slurm':
        # MMEngine's slurm launcher calls torch.cuda.set_device first
        slurm_env.export_rank_env()
    if cfg.get('model_wrapper_cfg') is None:
        # DDP of a CPU module must not get device_ids
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    import torch.distributed as dist
    if not dist.is_initialized():
        # MMEngine's launchers call torch.cuda.set_device first
        kwargs = {}
        if dist_cfg.get('timeout') is not None:  # seconds, as MMEngine's
            kwargs['timeout'] = dist_guard.as_timedelta(dist_cfg['timeout'])
        dist.init_process_group(backend=dist_cfg['backend'], **kwargs)


def setup_resume(cfg: Config, resume: Optional[str]) -> None:
    """``None``: no resume; ``'auto'``: the work dir's last checkpoint if
    any (else a fresh start that keeps ``load_from``); a path: that file.

    ``'auto'`` falls back to the newest checkpoint that loads when
    ``last_checkpoint`` is missing, empty or names a missing or unreadable
    file (:func:`~dfertools.utils.resume.find_resumable_checkpoint`)."""
    if resume is None:
        return
    if resume == AUTO:
        latest = find_resumable_checkpoint(cfg.work_dir)
        if latest is None:
            print_log(f'--resume: no checkpoint in {cfg.work_dir} yet; '
                      'starting from scratch'
                      + (f' (load_from={cfg.get("load_from")})'
                         if cfg.get('load_from') else ''),
                      logger='current', level=logging.WARNING)
            cfg.resume = False
            return
        resume = latest
    else:
        existing_checkpoint(resume, hint='or pass --resume alone to continue '
                            'from the last checkpoint of the work dir')
    print_log(f'--resume: continuing from {resume}', logger='current')
    cfg.resume = True
    cfg.load_from = resume


def existing_checkpoint(path: str, hint: str = '') -> str:
    """``path`` if it is a file (or a URL), else a clear error."""
    if '://' not in path and not osp.isfile(path):
        raise FileNotFoundError(
            f'checkpoint {path!r} does not exist; give an existing .pth file'
            + (f', {hint}' if hint else ''))
    return path


def setup_amp(cfg: Config) -> None:
    """Switch ``optim_wrapper`` to ``AmpOptimWrapper`` (``GradNormOptimWrapper``
    to ``AmpGradNormOptimWrapper``; bf16 if supported, else fp16); refuse
    clearly where that cannot work."""
    if not torch.cuda.is_available():
        raise RuntimeError(
            '--amp needs a CUDA GPU: MMEngine\'s AmpOptimWrapper does not '
            'train on CPU. Drop --amp to train in float32 on this machine.')
    wrapper = cfg.get('optim_wrapper')
    if wrapper is None:
        raise RuntimeError(f'--amp: config {cfg.filename} has no '
                           'optim_wrapper to convert')
    kind = wrapper.get('type', 'OptimWrapper')
    # each wrapper and its mixed-precision counterpart (GradNormOptimWrapper:
    # HDF's grad-norm scaler, dfertools/engine/grad_norm_optim_wrapper.py)
    amp_kinds = {'OptimWrapper': 'AmpOptimWrapper',
                 'AmpOptimWrapper': 'AmpOptimWrapper',
                 'GradNormOptimWrapper': 'AmpGradNormOptimWrapper',
                 'AmpGradNormOptimWrapper': 'AmpGradNormOptimWrapper'}
    if kind not in amp_kinds:
        raise RuntimeError(
            f'--amp: config {cfg.filename} uses optim_wrapper type {kind!r}, '
            'which --amp cannot convert; configure its mixed precision in '
            'the config instead')
    wrapper['type'] = amp_kinds[kind]
    if wrapper.get('dtype') is None:
        wrapper['dtype'] = ('bfloat16' if torch.cuda.is_bf16_supported()
                            else 'float16')
    wrapper.setdefault('loss_scale', 'dynamic')


def setup_compile(cfg: Config, backend: Optional[str] = None) -> None:
    """Turn on ``torch.compile`` of the model's ``train_step``: the
    config switch is MMEngine's ``compile`` key (``True`` or a dict of
    ``torch.compile`` arguments), read by ``Runner.train``. ``backend`` None
    keeps what the config says (``inductor`` if it only says ``True``)."""
    if not hasattr(torch, 'compile'):
        raise RuntimeError('--compile needs PyTorch >= 2.0.')
    current = cfg.get('compile')
    opts = dict(current) if isinstance(current, dict) else {}
    if backend:
        opts['backend'] = backend
    cfg.compile = opts if opts else True


def setup_auto_scale_lr(cfg: Config) -> None:
    """Enable MMEngine's linear lr scaling by the real total batch size."""
    scale = cfg.get('auto_scale_lr')
    if not scale or scale.get('base_batch_size') is None:
        raise RuntimeError(
            f'--auto-scale-lr: config {cfg.filename} must define '
            'auto_scale_lr = dict(base_batch_size=<total batch size the lr '
            'was tuned for>)')
    scale['enable'] = True


def setup_randomness(cfg: Config, seed: Optional[int],
                     deterministic: bool) -> None:
    randomness = cfg.setdefault('randomness', ConfigDict())
    # Runner.set_randomness(**randomness) needs `seed` (None = random)
    randomness.setdefault('seed', None)
    if seed is not None:
        randomness['seed'] = seed
    if deterministic:
        randomness['deterministic'] = True


def _accepts_dump_path(metric_cfg: dict) -> bool:
    from dfertools.registry import METRICS
    from mmengine.registry import DefaultScope
    kind = metric_cfg.get('type')
    if not isinstance(kind, str):
        cls = kind
    else:
        with DefaultScope.overwrite_default_scope('dfertools'):
            cls = METRICS.get(kind)
    if cls is None:
        return False
    return 'dump_path' in inspect.signature(cls.__init__).parameters


def check_test_split(cfg: Config) -> None:
    """Refuse a config that cannot be tested (``tools/train.py --test``
    asks before training, not after)."""
    missing = [k for k in ('test_dataloader', 'test_cfg', 'test_evaluator')
               if cfg.get(k) is None]
    if missing:
        raise ValueError(f'--test: config {cfg.filename} has no '
                         f'{", ".join(missing)}; test it with a config that '
                         'defines its test split, or drop --test')


def setup_dump(cfg: Config, dump: str) -> str:
    """Route per-sample results of the test run to ``dump``.

    Returns ``'dump_path'`` when metrics took the path, ``'DumpResults'``
    when the pickle dumper was appended."""
    evaluator = cfg.get('test_evaluator')
    if evaluator is None:
        raise RuntimeError(f'--dump: config {cfg.filename} has no '
                           'test_evaluator')
    preflight.check_dump_target(dump)  # before hours of testing, not after
    holder = evaluator
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        holder = evaluator['metrics']  # dict(type='Evaluator', metrics=...)
    metrics = list(holder) if isinstance(holder, (list, tuple)) else [holder]
    takers = [m for m in metrics if _accepts_dump_path(m)]
    if takers:
        for metric in takers:
            metric['dump_path'] = dump
        return 'dump_path'
    if not dump.endswith(('.pkl', '.pickle')):
        raise ValueError(
            f'--dump {dump}: no metric of {cfg.filename} takes dump_path, so '
            "results go through MMEngine's DumpResults, which writes a "
            'pickle; use a file name ending in .pkl')
    metrics.append(dict(type='DumpResults', out_file_path=dump))
    # the metrics are logged before DumpResults writes the file
    if holder is evaluator:
        cfg.test_evaluator = dict(type='MetricsBeforeDumpEvaluator',
                                  metrics=metrics)
    else:
        evaluator['metrics'] = metrics
        if evaluator.get('type', 'Evaluator') == 'Evaluator':
            evaluator['type'] = 'MetricsBeforeDumpEvaluator'
    return 'DumpResults'


def build_runner(cfg: Config):
    """``DFERRunner`` unless the config names its own ``runner_type``;
    the work dir must be writable."""
    from dfertools.registry import RUNNERS
    preflight.check_work_dir(cfg.work_dir)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    from dfertools.engine.runner import DFERRunner
    return DFERRunner.from_cfg(cfg)


def close_distributed() -> None:
    """Destroy the process group a distributed run started, once the run is
    done. Left alive, gloo's threads can still be running while the
    interpreter exits, and a rank then aborts with "terminate called
    without an active exception" (SIGABRT) after a successful run.

    The caller drops its runner first (the DDP wrapper holds the group, and
    a group still referenced is not torn down); the ranks then meet at a
    barrier, so none closes its connections while a peer still uses them,
    and every rank destroys the group."""
    import gc

    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        return
    gc.collect()
    try:
        dist.barrier()
    except RuntimeError:   # a peer is already gone: tear down regardless
        pass
    dist.destroy_process_group()
