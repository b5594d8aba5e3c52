"""Speed benchmark of a config's model and input pipeline
(docs/benchmarks.md).

``run_benchmark(cfg, mode)`` with ``mode`` in ``train`` (forward + backward
+ AdamW step on random uint8 clips through the data preprocessor),
``pretrain`` (the same step for a masked-pretraining config: masker,
encoder on the visible tokens, decoder, reconstruction losses; FLOPs per clip
are counted on the executed loss forward, so they reflect the mask ratio),
``infer`` (forward under ``no_grad``) and ``data`` (the config's training
DataLoader).
Step times are reported as the MEDIAN over ``steps`` timed steps after
``warmup`` untimed ones, both wall-clock (``median_s``) and process CPU time
(``median_cpu_s``; on a shared machine with ``OMP_NUM_THREADS=1`` the CPU
time is the figure that other processes disturb least).
``compare='mmaction-vit'`` builds mmaction2's
``VisionTransformer`` at the config's size, copies the SAME weights into our
``VideoViT`` through :mod:`dfertools.models.utils.checkpoint_convert`,
checks the outputs agree and times both ALTERNATELY (A, B, A, B, ...) so
that machine drift hits both. ``data`` mode: :mod:`.data`.

Peak memory: CUDA ``max_memory_allocated``; CPU the growth of the process'
max RSS (``getrusage``) during the timed run - 0 once an earlier run already
reached a higher peak. MFU (CUDA only) divides achieved FLOP/s (3x forward
FLOPs for a training step) by a bf16 matmul peak measured in the same run.
"""
import contextlib
import copy
import functools
import time
from typing import Callable, Dict, Optional

import torch
import torch.nn.functional as F

from dfertools.benchmark.flops import model_complexity
from .common import (AMP_CHOICES, autocast, clip_shape,  # noqa: F401
                     max_rss_mib, median, sync)
from .data import benchmark_data

COMPARE_CHOICES = ('mmaction-vit', )
MODES = ('train', 'pretrain', 'infer', 'data')


def time_alternating(fns: Dict[str, Callable], steps: int, warmup: int,
                     device='cpu') -> Dict[str, dict]:
    """Median seconds per call of each fn, calls interleaved A, B, A, B."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    sync(device)
    times = {k: [] for k in fns}
    cpu_times = {k: [] for k in fns}
    peaks = {}
    for name, fn in fns.items():  # one peak-memory probe per fn
        if torch.device(device).type == 'cuda':
            torch.cuda.reset_peak_memory_stats()
            fn()
            sync(device)
            peaks[name] = torch.cuda.max_memory_allocated() / 2**20
        else:
            before = max_rss_mib()
            fn()
            peaks[name] = max_rss_mib() - before
    for _ in range(steps):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            sync(device)
            times[name].append(time.perf_counter() - t0)
            cpu_times[name].append(time.process_time() - c0)
    return {k: dict(median_s=median(v), times_s=v,
                    median_cpu_s=median(cpu_times[k]),
                    cpu_times_s=cpu_times[k], peak_mem_mib=peaks[k])
            for k, v in times.items()}


def bf16_matmul_peak_tflops(device, n: int = 8192, iters: int = 20) -> float:
    """Achieved bf16 matmul TFLOP/s on ``device`` (CUDA only)."""
    if torch.device(device).type != 'cuda':
        raise RuntimeError('the bf16 matmul peak is only measured on CUDA.')
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        a @ b
    end.record()
    torch.cuda.synchronize()
    return 2 * n**3 * iters / (start.elapsed_time(end) / 1e3) / 1e12


def build_recognizer(cfg, device):
    from mmengine.registry import init_default_scope

    from dfertools.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'dfertools'))
    return MODELS.build(cfg.model).to(device)


def random_batch(cfg, batch: int, device) -> dict:
    """A packed batch of random uint8 clips + labels, as PackActionInputs
    would give it to the data preprocessor."""
    from mmaction.structures import ActionDataSample
    t, h, w = clip_shape(cfg)
    head = cfg.model.get('cls_head')
    num_classes = head.num_classes if head else None  # None: pretraining
    g = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.randint(0, 256, (1, 3, t, h, w), generator=g,
                                    dtype=torch.uint8).to(device))
        sample = ActionDataSample()
        if num_classes:
            sample.set_gt_label(
                int(torch.randint(0, num_classes, (1, ), generator=g)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def adamw_kwargs(cfg) -> dict:
    """``fused`` / ``foreach`` of the config's AdamW (empty if unset), so the
    benchmark steps our model with the optimizer implementation the config
    trains with."""
    opt = cfg.get('optim_wrapper', {}).get('optimizer', {})
    return {k: opt[k] for k in ('fused', 'foreach') if opt.get(k) is not None}


def pretrain_flops_per_clip(model, cfg) -> int:
    """FLOPs of one clip's training forward (``mode='loss'``: masker,
    encoder on the visible tokens, decoder, targets) of a masked pretrainer,
    counted on CPU on a random clip; the mask ratio is what it is in the
    config."""
    from dfertools.benchmark.flops import count_flops
    data = model.data_preprocessor(random_batch(cfg, 1, 'cpu'), True)
    with torch.no_grad():
        flops, _ = count_flops(model, **data, mode='loss')
    return flops


def recognizer_step(model, data, train: bool,
                     opt_kwargs: Optional[dict] = None,
                     amp_ctx: Callable = contextlib.nullcontext) -> Callable:
    if not train:
        def step():
            model.eval()
            with torch.no_grad(), amp_ctx():
                d = model.data_preprocessor(data, False)
                model(**d, mode='tensor')
        return step
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, **(opt_kwargs or {}))

    def step():
        model.train()
        with amp_ctx():
            d = model.data_preprocessor(data, True)
            loss, _ = model.parse_losses(model(**d, mode='loss'))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def module_step(fwd: Callable, params, x, y, train: bool,
                 opt_kwargs: Optional[dict] = None,
                 amp_ctx: Callable = contextlib.nullcontext) -> Callable:
    if not train:
        def step():
            with torch.no_grad(), amp_ctx():
                fwd(x)
        return step
    opt = torch.optim.AdamW(list(params), lr=1e-4, **(opt_kwargs or {}))

    def step():
        with amp_ctx():
            loss = F.cross_entropy(fwd(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def build_mmaction_pair(cfg, device, seed: int = 0):
    """mmaction2 ``VisionTransformer`` (+ linear head) at the config's size
    and our recognizer carrying the same weights (via the converter)."""
    import dfertools  # noqa: F401  (compat shims before mmaction.models)
    from mmaction.models.backbones.vit_mae import VisionTransformer

    from dfertools.models.utils.checkpoint_convert import convert_state_dict
    from dfertools.models.backbones.base_token_backbone import resolve_arch
    from dfertools.models.backbones.video_vit import VideoViT
    cfg = copy.deepcopy(cfg)
    bb = cfg.model.backbone
    if bb.type != 'VideoViT':
        raise ValueError(f'{cfg.filename}: --compare mmaction-vit needs a '
                         f'VideoViT backbone, got {bb.type}.')
    arch = resolve_arch(bb.get('arch', 'base'), VideoViT.arch_zoo, 'VideoViT')
    t, h, _ = clip_shape(cfg)
    num_classes = cfg.model.cls_head.num_classes
    torch.manual_seed(seed)
    theirs = VisionTransformer(
        img_size=h, patch_size=bb.get('patch_size', 16),
        embed_dims=arch['embed_dims'], depth=arch['num_layers'],
        num_heads=arch['num_heads'], mlp_ratio=bb.get('mlp_ratio', 4.),
        num_frames=t, tube_size=bb.get('tubelet_size', 2),
        use_mean_pooling=True)
    theirs.init_weights()
    head = torch.nn.Linear(arch['embed_dims'], num_classes)
    state = {f'backbone.{k}': v for k, v in theirs.state_dict().items()}
    state['cls_head.fc_cls.weight'] = head.weight.detach()
    state['cls_head.fc_cls.bias'] = head.bias.detach()
    cfg.model.backbone.final_norm = False  # mmaction's fc_norm = head norm
    cfg.model.backbone.drop_path_rate = 0.
    # mmaction's ViT encodes every token in training too: the same step
    cfg.model.backbone.train_token_drop = 0.
    ours = build_recognizer(cfg, 'cpu')
    ours.load_state_dict(convert_state_dict(
        {'state_dict': state}).recognizer_state_dict(), strict=True)
    return ours.to(device), torch.nn.Sequential(theirs, head).to(device)


def compare_mmaction_vit(cfg, batch: int, steps: int, warmup: int, train: bool,
                         device, atol: float = 1e-4,
                         amp: str = 'none') -> dict:
    ours, theirs = build_mmaction_pair(cfg, device)
    t, h, w = clip_shape(cfg)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 3, t, h, w, generator=g).to(device)
    y = torch.randint(0, cfg.model.cls_head.num_classes, (batch, ),
                      generator=g).to(device)
    ours.eval()
    theirs.eval()

    def ours_fwd(v):
        return ours.cls_head(ours.backbone(v))
    with torch.no_grad():
        diff = (ours_fwd(x) - theirs(x)).abs().max().item()
    if not diff <= atol:
        raise AssertionError(
            f'VideoViT and mmaction2 VisionTransformer disagree on the same '
            f'weights: max |diff| = {diff:.3g} > {atol:g}.')
    if train:  # drop_path is 0, dropouts are 0: train mode is deterministic
        ours.train()
        theirs.train()
    # ours: the AdamW implementation of the config (fused in our schedules);
    # theirs: torch's default AdamW, as mmaction2's configs build it.
    kw = adamw_kwargs(cfg)
    ctx = functools.partial(autocast, device, amp)
    res = time_alternating(
        dict(ours=module_step(ours_fwd, ours.parameters(), x, y, train, kw,
                               ctx),
             theirs=module_step(theirs, theirs.parameters(), x, y, train,
                                 None, ctx)),
        steps, warmup, device)
    o, t = res['ours'], res['theirs']
    return dict(max_abs_diff=diff, ours=o, theirs=t, ours_adamw=kw,
                speed_ratio=t['median_s'] / o['median_s'],
                speed_ratio_cpu=t['median_cpu_s'] / max(o['median_cpu_s'],
                                                         1e-9))


def run_benchmark(cfg, mode: str, batch: int = 2, steps: int = 10,
                  warmup: int = 3, compare: Optional[str] = None,
                  device: Optional[str] = None,
                  num_workers: Optional[int] = None,
                  num_repeats: Optional[int] = None,
                  amp: str = 'none',
                  compile_backend: Optional[str] = None) -> dict:
    """Run one benchmark; returns a JSON-serialisable dict. ``amp='bf16'``
    runs the forward passes (ours and the compared model) under bf16
    autocast; the outputs are checked in fp32 first. ``compile_backend`` (a
    ``torch.compile`` backend, ``''`` for its default) compiles our model's
    forward (the loss in train and pretrain modes, its backward through
    AOTAutograd); the warm-up steps include the compilation, which is
    timed on its own (``compile_s``)."""
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}.')
    if compile_backend is not None and mode == 'data':
        raise ValueError('--compile compiles the model; --mode data times '
                         'the input pipeline, which has none.')
    if compare is not None and mode == 'pretrain':
        raise ValueError('--compare mmaction-vit compares fine-tuning '
                         'models; use it with --mode train or infer.')
    if compare is not None and compare not in COMPARE_CHOICES:
        raise ValueError(f'--compare must be one of {COMPARE_CHOICES}.')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    autocast(device, amp)  # validates amp
    result = dict(mode=mode, device=device, torch=torch.__version__, amp=amp,
                  threads=torch.get_num_threads(), steps=steps,
                  warmup=warmup, config=getattr(cfg, 'filename', None),
                  compile=compile_backend)
    if mode == 'data':
        result.update(benchmark_data(cfg, batch, steps, warmup,
                                     compare is not None, num_workers,
                                     num_repeats))
        return result
    t, h, w = clip_shape(cfg)
    result.update(batch=batch, clip_shape=[3, t, h, w])
    if mode == 'pretrain':
        if 'cls_head' in cfg.model:
            raise ValueError(f'--mode pretrain needs a masked-pretraining '
                             f'config; {result["config"]} has a cls_head '
                             '(use --mode train).')
        cpu_model = build_recognizer(cfg, 'cpu')
        cx = dict(params=sum(p.numel() for p in cpu_model.parameters()),
                  flops=pretrain_flops_per_clip(cpu_model, cfg))
        del cpu_model
    else:
        cx = model_complexity(build_recognizer(cfg, 'cpu'), (t, h, w))
    result.update(params=cx['params'], flops_per_clip=cx['flops'])
    train = mode in ('train', 'pretrain')
    step_flops = cx['flops'] * batch * (3 if train else 1)
    model = build_recognizer(cfg, device)
    step = recognizer_step(model, random_batch(cfg, batch, device), train,
                           adamw_kwargs(cfg),
                           functools.partial(autocast, device, amp))
    if compile_backend is not None:
        model.forward = torch.compile(model.forward,
                                      backend=compile_backend or 'inductor')
        t0 = time.perf_counter()
        step()   # the first call compiles
        sync(device)
        result['compile_s'] = time.perf_counter() - t0
    res = time_alternating(dict(ours=step), steps, warmup, device)['ours']
    result.update(median_step_s=res['median_s'], step_times_s=res['times_s'],
                  median_step_cpu_s=res['median_cpu_s'],
                  clips_per_s=batch / res['median_s'],
                  peak_mem_mib=res['peak_mem_mib'],
                  achieved_tflops=step_flops / res['median_s'] / 1e12)
    if torch.device(device).type == 'cuda':
        peak = bf16_matmul_peak_tflops(device)
        result.update(bf16_peak_tflops=peak,
                      mfu=result['achieved_tflops'] / peak)
    if compare == 'mmaction-vit':
        result['compare'] = compare_mmaction_vit(cfg, batch, steps, warmup,
                                                 train, device, amp=amp)
    return result
