"""The steps of ``tools/analysis/gpu_check.sh`` (a one-GPU health and
performance check; docs/benchmarks.md, "GPU").

Every step returns a JSON-serialisable dict and runs on CPU as well with
``tiny=True`` (small models and clips, few steps), which is how the tests
smoke them; the GPU run uses the paper's sizes:

* ``finetune``: a ViT-B fine-tuning step (16 x 160 x 160, bf16 autocast):
  clips/s, MFU against the bf16 matmul peak measured in the same process,
  peak memory, the same step of mmaction2's ``VisionTransformer`` with the
  same weights, and the largest power-of-two batch that fits.
* ``pretrain``: the same for HI2M ViT-B masked pretraining (rho = 0.9,
  model only). mmaction2 has no masked-pretraining model to compare with.
* ``ddp``: the fine-tuning step wrapped in ``DistributedDataParallel`` on a
  world of one process (NCCL on CUDA, gloo on CPU) against the plain step.
* ``datawait``: the fraction of a real ``tools/train.py`` run's iteration
  time spent waiting for data, from its ``scalars.json``.
* ``loader``: training-loader clips/s with N loader threads vs N worker
  processes (``worker_type``).
"""
import copy
import glob
import itertools
import json
import os
import os.path as osp
import socket
from typing import Optional

import torch
from mmengine.config import Config

from .common import autocast
from .harness import (adamw_kwargs, build_recognizer, random_batch,
                      recognizer_step, run_benchmark, time_alternating)

FINETUNE_CFG = 'configs/benchmark/vit-s_synth-dfer-160.py'
PRETRAIN_CFG = 'configs/hi2m/vit-b_vox2.py'
TINY_FINETUNE_CFG = 'configs/demo/vit-t_synth-dfer_finetune.py'
TINY_PRETRAIN_CFG = 'configs/demo/vit-t_synth-pretrain.py'
STEPS = ('finetune', 'pretrain', 'ddp', 'datawait', 'loader')


def _is_oom(err: BaseException) -> bool:
    return isinstance(err, torch.cuda.OutOfMemoryError) or \
        'out of memory' in str(err).lower()


def finetune_config(tiny: bool) -> Config:
    """ViT-B at 16 x 160 x 160 (or the demo's tiny ViT)."""
    if tiny:
        return Config.fromfile(TINY_FINETUNE_CFG)
    cfg = Config.fromfile(FINETUNE_CFG)
    cfg.merge_from_dict({'model.backbone.arch': 'base',
                         'model.cls_head.in_channels': 768})
    return cfg


def pretrain_config(tiny: bool) -> Config:
    return Config.fromfile(TINY_PRETRAIN_CFG if tiny else PRETRAIN_CFG)


def max_pow2_batch(cfg, mode: str, device: str, amp: str, start: int,
                   limit: int) -> dict:
    """Double the batch from ``start`` while a training step fits (up to
    ``limit``); returns the largest that fitted and the first that did
    not (``None`` when ``limit`` was reached)."""
    fits, batch, failed = None, start, None
    while batch <= limit:
        try:
            run_benchmark(cfg, mode, batch=batch, steps=1, warmup=1,
                          device=device, amp=amp)
        except RuntimeError as err:
            if not _is_oom(err):
                raise
            failed = batch
            break
        finally:
            if torch.device(device).type == 'cuda':
                torch.cuda.empty_cache()
        fits, batch = batch, batch * 2
    return dict(max_pow2_batch=fits, first_oom_batch=failed,
                search_limit=limit)


def _sizes(tiny: bool) -> dict:
    if tiny:
        return dict(batch=2, steps=2, warmup=1, start=1, limit=4)
    return dict(batch=32, steps=20, warmup=5, start=8, limit=4096)


def step_finetune(device: str, tiny: bool = False) -> dict:
    cfg, s = finetune_config(tiny), _sizes(tiny)
    out = run_benchmark(cfg, 'train', batch=s['batch'], steps=s['steps'],
                        warmup=s['warmup'], compare='mmaction-vit',
                        device=device, amp='bf16')
    out.update(max_pow2_batch(cfg, 'train', device, 'bf16', s['start'],
                              s['limit']))
    return out


def step_pretrain(device: str, tiny: bool = False) -> dict:
    cfg, s = pretrain_config(tiny), _sizes(tiny)
    out = run_benchmark(cfg, 'pretrain', batch=2 * s['batch'],
                        steps=s['steps'], warmup=s['warmup'], device=device,
                        amp='bf16')
    out['compare'] = None
    out['compare_note'] = ('mmaction2 has no masked-pretraining model; '
                           'the encoder alone is compared in finetune')
    out.update(max_pow2_batch(cfg, 'pretrain', device, 'bf16', s['start'],
                              s['limit']))
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _same_draws(step):
    """``step`` with the global RNG seeded by its call count: the k-th
    DDP step and the k-th plain step draw the same random numbers (token
    dropping), so the two runs can be compared weight for weight."""
    calls = itertools.count()

    def seeded():
        torch.manual_seed(next(calls))
        step()
    return seeded


def step_ddp(device: str, tiny: bool = False) -> dict:
    """One-process DDP (NCCL on CUDA) around the fine-tuning step."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    cfg, s = finetune_config(tiny), _sizes(tiny)
    cuda = torch.device(device).type == 'cuda'
    backend = 'nccl' if cuda else 'gloo'
    dist.init_process_group(backend, rank=0, world_size=1,
                            init_method=f'tcp://127.0.0.1:{_free_port()}')
    try:
        model = build_recognizer(cfg, device)
        plain = copy.deepcopy(model)
        wrapped = DDP(model, device_ids=[torch.device(device).index or 0]
                      if cuda else None)
        data = random_batch(cfg, s['batch'], device)
        kw = adamw_kwargs(cfg)
        opt = torch.optim.AdamW(wrapped.parameters(), lr=1e-4, **kw)

        def ddp_step():
            wrapped.train()
            with autocast(device, 'bf16'):
                d = model.data_preprocessor(data, True)
                loss, _ = model.parse_losses(wrapped(**d, mode='loss'))
            opt.zero_grad(set_to_none=True)
            loss.backward()  # DDP's gradient all-reduce runs here
            opt.step()
        res = time_alternating(
            dict(ddp=_same_draws(ddp_step),
                 plain=_same_draws(recognizer_step(
                     plain, data, True, kw,
                     lambda: autocast(device, 'bf16')))),
            s['steps'], s['warmup'], device)
        # a world of one: DDP must train exactly like the plain model
        diff = max((a.float() - b.float()).abs().max().item() for a, b in
                   zip(model.state_dict().values(),
                       plain.state_dict().values()))
        return dict(backend=backend, world_size=dist.get_world_size(),
                    batch=s['batch'], device=device,
                    ddp_median_s=res['ddp']['median_s'],
                    plain_median_s=res['plain']['median_s'],
                    ddp_overhead=res['ddp']['median_s'] /
                    res['plain']['median_s'] - 1,
                    max_abs_weight_diff_vs_plain=diff)
    finally:
        dist.destroy_process_group()


def step_datawait(work_dir: str, skip: int = 5) -> dict:
    """Data-wait fraction of a ``tools/train.py`` run: sum of the logged
    ``data_time`` over the sum of ``time`` (both per iteration), over all
    logged training iterations and without the first ``skip`` ones."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        raise FileNotFoundError(
            f'no */vis_data/scalars.json under {work_dir}; give the work dir '
            'of a finished tools/train.py run')
    rows = []
    with open(files[-1]) as f:
        for line in f:
            rec = json.loads(line)
            if 'data_time' in rec and 'time' in rec:
                rows.append((rec['data_time'], rec['time']))
    if not rows:
        raise ValueError(f'{files[-1]} has no training iterations with '
                         'data_time and time; set the logger interval lower')

    def frac(part):
        return sum(d for d, _ in part) / max(sum(t for _, t in part), 1e-12)
    later = rows[skip:] or rows
    return dict(scalars=files[-1], logged_iters=len(rows),
                data_wait_fraction=frac(rows),
                data_wait_fraction_after_warmup=frac(later),
                median_iter_s=sorted(t for _, t in later)[len(later) // 2])


def step_loader(data_root: str, workers: int, tiny: bool = False) -> dict:
    """Training-loader clips/s with ``workers`` threads vs processes."""
    cfg = finetune_config(tiny)
    cfg.train_dataloader.dataset.data_root = data_root
    steps, warmup, batch = (3, 1, 4) if tiny else (100, 5, 32)
    out = dict(data_root=data_root, workers=workers, batch=batch)
    for kind in ('thread', 'process'):
        c = copy.deepcopy(cfg)
        c.train_dataloader.worker_type = kind
        res = run_benchmark(c, 'data', batch=batch, steps=steps,
                            warmup=warmup, num_workers=workers)
        out[kind] = res['ours']
    out['thread_over_process'] = (out['thread']['clips_per_s'] /
                                  out['process']['clips_per_s'])
    return out


def _fmt(value, spec='.3g'):
    return '-' if value is None else format(value, spec)


def summarize(out_dir: str) -> dict:
    """Merge ``<out_dir>/<step>.json`` into ``gpu_check.json`` and
    ``gpu_check.md``; a step that failed is listed with its error file."""
    summary = {}
    for name in STEPS + ('environment', ):
        path = osp.join(out_dir, f'{name}.json')
        if osp.isfile(path):
            with open(path) as f:
                summary[name] = json.load(f)
        else:
            err = osp.join(out_dir, f'{name}.log')
            summary[name] = dict(error=f'step failed or not run; see {err}')
    with open(osp.join(out_dir, 'gpu_check.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    lines = ['# GPU check', '']
    env = summary['environment']
    lines += [f"- device: {env.get('device_name', '-')}, torch "
              f"{env.get('torch', '-')}, CUDA {env.get('cuda', '-')}", '']
    lines += ['| step | clips/s | MFU | peak mem MiB | max 2^k batch | '
              'vs mmaction2 |', '|---|---|---|---|---|---|']
    for name in ('finetune', 'pretrain'):
        r = summary[name]
        if 'error' in r:
            lines.append(f"| {name} | {r['error']} | | | | |")
            continue
        c = r.get('compare') or {}
        lines.append(
            f"| {name} (batch {r['batch']}) | {_fmt(r['clips_per_s'])} | "
            f"{_fmt(r.get('mfu'), '.1%')} | {_fmt(r['peak_mem_mib'], '.0f')} "
            f"| {_fmt(r['max_pow2_batch'], 'd')} | "
            f"{_fmt(c.get('speed_ratio'), '.2f') + 'x' if c else '-'} |")
    lines.append('')
    d = summary['ddp']
    lines.append('- ddp: ' + (d['error'] if 'error' in d else
                 f"{d['backend']}, world size {d['world_size']}, step "
                 f"{d['ddp_median_s'] * 1e3:.1f} ms vs "
                 f"{d['plain_median_s'] * 1e3:.1f} ms plain "
                 f"({d['ddp_overhead']:+.1%}), max |weight diff| "
                 f"{d['max_abs_weight_diff_vs_plain']:.2g}"))
    w = summary['datawait']
    lines.append('- tools/train.py data wait: ' + (
        w['error'] if 'error' in w else
        f"{w['data_wait_fraction_after_warmup']:.1%} of iteration time "
        f"(median iteration {w['median_iter_s'] * 1e3:.1f} ms)"))
    ld = summary['loader']
    lines.append('- loader: ' + (
        ld['error'] if 'error' in ld else
        f"{ld['workers']} threads {ld['thread']['clips_per_s']:.1f} clips/s"
        f", {ld['workers']} processes {ld['process']['clips_per_s']:.1f} "
        f"clips/s ({ld['thread_over_process']:.2f}x)"))
    with open(osp.join(out_dir, 'gpu_check.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return summary


def environment(device: str) -> dict:
    cuda = torch.device(device).type == 'cuda'
    return dict(device=device, torch=torch.__version__,
                cuda=torch.version.cuda,
                device_name=(torch.cuda.get_device_name(device) if cuda
                             else 'cpu'),
                cpu_count=os.cpu_count(),
                bf16_supported=bool(cuda and torch.cuda.is_bf16_supported()))


def run_step(name: str, device: str, tiny: bool = False,
             work_dir: Optional[str] = None,
             data_root: Optional[str] = None, workers: int = 16) -> dict:
    if name == 'finetune':
        return step_finetune(device, tiny)
    if name == 'pretrain':
        return step_pretrain(device, tiny)
    if name == 'ddp':
        return step_ddp(device, tiny)
    if name == 'datawait':
        return step_datawait(work_dir)
    if name == 'loader':
        return step_loader(data_root, workers, tiny)
    if name == 'environment':
        return environment(device)
    raise ValueError(f'unknown step {name!r}; one of {STEPS}')
