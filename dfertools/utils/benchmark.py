"""Speed benchmark of a config's model and input pipeline (ISSUE 8).

``run_benchmark(cfg, mode)`` with ``mode`` in ``train`` (forward + backward
+ AdamW step on random uint8 clips through the data preprocessor), ``infer``
(forward under ``no_grad``) and ``data`` (the config's training DataLoader).
Step times are reported as the MEDIAN over ``steps`` timed steps after
``warmup`` untimed ones, both wall-clock (``median_s``) and process CPU time
(``median_cpu_s``; on a shared machine with ``OMP_NUM_THREADS=1`` the CPU
time is the figure that other processes disturb least).
``compare='mmaction-vit'`` builds mmaction2's
``VisionTransformer`` at the config's size, copies the SAME weights into our
``VideoViT`` through :mod:`dfertools.models.utils.checkpoint_convert`,
checks the outputs agree and times both ALTERNATELY (A, B, A, B, ...) so
that machine drift hits both. In ``data`` mode the comparison is mmaction2's
stock decord pipeline on the same files with the same DataLoader settings.

Peak memory: CUDA ``max_memory_allocated``; CPU the growth of the process'
max RSS (``getrusage``) during the timed run - 0 once an earlier run already
reached a higher peak. MFU (CUDA only) divides achieved FLOP/s (3x forward
FLOPs for a training step) by a bf16 matmul peak measured in the same run.
"""
import copy
import resource
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F

from dfertools.utils.flops import model_complexity

COMPARE_CHOICES = ('mmaction-vit', )


def _sync(device):
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize()


def _median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.


def time_alternating(fns: Dict[str, Callable], steps: int, warmup: int,
                     device='cpu') -> Dict[str, dict]:
    """Median seconds per call of each fn, calls interleaved A, B, A, B."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    _sync(device)
    times = {k: [] for k in fns}
    cpu_times = {k: [] for k in fns}
    peaks = {}
    for name, fn in fns.items():  # one peak-memory probe per fn
        if torch.device(device).type == 'cuda':
            torch.cuda.reset_peak_memory_stats()
            fn()
            _sync(device)
            peaks[name] = torch.cuda.max_memory_allocated() / 2**20
        else:
            before = _max_rss_mib()
            fn()
            peaks[name] = _max_rss_mib() - before
    for _ in range(steps):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            _sync(device)
            times[name].append(time.perf_counter() - t0)
            cpu_times[name].append(time.process_time() - c0)
    return {k: dict(median_s=_median(v), times_s=v,
                    median_cpu_s=_median(cpu_times[k]),
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


def clip_shape(cfg) -> tuple:
    """``(T, H, W)`` of one clip from ``cfg.model.backbone``."""
    bb = cfg.model.backbone
    size = bb.get('img_size', 224)
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    return bb.get('num_frames', 16), h, w


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
    num_classes = cfg.model.cls_head.num_classes
    g = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.randint(0, 256, (1, 3, t, h, w), generator=g,
                                    dtype=torch.uint8).to(device))
        label = int(torch.randint(0, num_classes, (1, ), generator=g))
        samples.append(ActionDataSample().set_gt_label(label))
    return dict(inputs=inputs, data_samples=samples)


def adamw_kwargs(cfg) -> dict:
    """``fused`` / ``foreach`` of the config's AdamW (empty if unset), so the
    benchmark steps our model with the optimizer implementation the config
    trains with."""
    opt = cfg.get('optim_wrapper', {}).get('optimizer', {})
    return {k: opt[k] for k in ('fused', 'foreach') if opt.get(k) is not None}


def _recognizer_step(model, data, train: bool,
                     opt_kwargs: Optional[dict] = None) -> Callable:
    if not train:
        def step():
            model.eval()
            with torch.no_grad():
                d = model.data_preprocessor(data, False)
                model(**d, mode='tensor')
        return step
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, **(opt_kwargs or {}))

    def step():
        model.train()
        d = model.data_preprocessor(data, True)
        loss, _ = model.parse_losses(model(**d, mode='loss'))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def _module_step(fwd: Callable, params, x, y, train: bool,
                 opt_kwargs: Optional[dict] = None) -> Callable:
    if not train:
        def step():
            with torch.no_grad():
                fwd(x)
        return step
    opt = torch.optim.AdamW(list(params), lr=1e-4, **(opt_kwargs or {}))

    def step():
        loss = F.cross_entropy(fwd(x), y)
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
    ours = build_recognizer(cfg, 'cpu')
    ours.load_state_dict(convert_state_dict(
        {'state_dict': state}).recognizer_state_dict(), strict=True)
    return ours.to(device), torch.nn.Sequential(theirs, head).to(device)


def compare_mmaction_vit(cfg, batch: int, steps: int, warmup: int, train: bool,
                         device, atol: float = 1e-4) -> dict:
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
    res = time_alternating(
        dict(ours=_module_step(ours_fwd, ours.parameters(), x, y, train, kw),
             theirs=_module_step(theirs, theirs.parameters(), x, y, train)),
        steps, warmup, device)
    o, t = res['ours'], res['theirs']
    return dict(max_abs_diff=diff, ours=o, theirs=t, ours_adamw=kw,
                speed_ratio=t['median_s'] / o['median_s'],
                speed_ratio_cpu=t['median_cpu_s'] / max(o['median_cpu_s'],
                                                         1e-9))


def mmaction_train_pipeline(clip_len: int, frame_interval: int,
                            size) -> List[dict]:
    """mmaction2's stock decord training pipeline (config dicts)."""
    return [
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=clip_len,
             frame_interval=frame_interval, num_clips=1),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(-1, max(size))),
        dict(type='RandomResizedCrop', area_range=(0.7, 1.0)),
        dict(type='Resize', scale=tuple(size), keep_ratio=False),
        dict(type='Flip', flip_ratio=0.5),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs'),
    ]


class _ListDataset(torch.utils.data.Dataset):

    def __init__(self, infos, pipeline):
        self.infos, self.pipeline = infos, pipeline

    def __len__(self):
        return len(self.infos)

    def __getitem__(self, i):
        return self.pipeline(dict(self.infos[i]))


def _cycle(loader):
    """Batches of ``loader`` without end (a new epoch when one runs out)."""
    while True:
        yield from loader


def _children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _time_loader(loader, steps: int, warmup: int) -> dict:
    children0 = _children_cpu_s()
    main0 = time.process_time()
    it = _cycle(loader)
    for _ in range(warmup):
        next(it)
    times, clips = [], 0
    t_all, c_all = time.perf_counter(), time.process_time()
    for _ in range(steps):
        t0 = time.perf_counter()
        batch = next(it)
        times.append(time.perf_counter() - t0)
        clips += sum(int(x.shape[0]) if x.dim() == 5 else 1
                     for x in batch['inputs'])  # [R, C, T, H, W]: R clips
    total = time.perf_counter() - t_all
    cpu = time.process_time() - c_all
    it.close()  # ends the epoch: workers shut down and are reaped
    workers = getattr(loader, 'num_workers', 0)
    # all clips the loader produced: warm-up, timed, and the batches the
    # workers had prefetched when it stopped
    batches = steps + warmup + ((loader.prefetch_factor or 0) * workers
                                if workers else 0)
    produced = batches * clips / max(steps, 1)
    all_cpu = (time.process_time() - main0) + (_children_cpu_s() - children0)
    # clips_per_cpu_s: CPU time of this process only - the whole pipeline
    # with num_workers=0, just collation / transfer from workers otherwise;
    # total_cpu_ms_per_clip: this process + its reaped workers, per clip
    # produced (an estimate with workers: prefetch depth assumed full)
    return dict(median_s=_median(times), times_s=times, clips=clips,
                clips_per_s=clips / total, cpu_s=cpu,
                clips_per_cpu_s=clips / max(cpu, 1e-9),
                total_cpu_ms_per_clip=1e3 * all_cpu / produced)


def with_repeats(pipeline: List[dict], num_repeats: int) -> List[dict]:
    """``pipeline`` with its augmentations (the steps between ``VideoDecode``
    and ``FormatShape``) wrapped in ``RepeatAugment(num_repeats)``."""
    types = [p['type'] for p in pipeline]
    if 'VideoDecode' not in types or 'FormatShape' not in types:
        raise ValueError('repeated sampling needs a pipeline with '
                         'VideoDecode ... FormatShape.')
    i, j = types.index('VideoDecode') + 1, types.index('FormatShape')
    return pipeline[:i] + [dict(type='RepeatAugment',
                                transforms=pipeline[i:j],
                                num_repeats=num_repeats)] + pipeline[j:]


def benchmark_data(cfg, batch: Optional[int], steps: int, warmup: int,
                   compare: bool, num_workers: Optional[int] = None,
                   num_repeats: Optional[int] = None) -> dict:
    """Clips/s of the config's training DataLoader (and of mmaction2's).

    ``num_workers`` overrides the config's; with 0 the pipelines run in this
    process and ``clips_per_cpu_s`` measures their whole CPU cost.
    ``num_repeats`` R wraps our augmentations in ``RepeatAugment`` (R clips
    per decoded video; the mmaction2 pipeline is unchanged)."""
    from mmaction.registry import TRANSFORMS as MMA_TRANSFORMS
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    init_default_scope(cfg.get('default_scope', 'dfertools'))
    dl_cfg = copy.deepcopy(cfg.train_dataloader)
    if batch:
        dl_cfg.batch_size = batch
    dl_cfg.persistent_workers = False
    if num_workers is not None:
        dl_cfg.num_workers = num_workers
    if num_repeats:
        dl_cfg.dataset.pipeline = with_repeats(dl_cfg.dataset.pipeline,
                                               num_repeats)
    need = (steps + warmup) * dl_cfg.batch_size
    ours_loader = Runner.build_dataloader(dl_cfg)
    out = dict(batch=dl_cfg.batch_size,
               num_workers=dl_cfg.get('num_workers', 0),
               num_repeats=num_repeats or 1)
    out['ours'] = _time_loader(ours_loader, steps, warmup)
    if compare:
        ds = ours_loader.dataset
        infos = [dict(filename=ds.get_data_info(i % len(ds))['filename'],
                      label=ds.get_data_info(i % len(ds))['label'],
                      start_index=0, modality='RGB') for i in range(need)]
        t, h, w = clip_shape(cfg)
        step = next((p.get('frame_interval', 1) for p in dl_cfg.dataset.pipeline
                     if 'frame_interval' in p), 1)
        pipe = Compose([MMA_TRANSFORMS.build(p) for p in
                        mmaction_train_pipeline(t, step, (h, w))])
        loader = torch.utils.data.DataLoader(
            _ListDataset(infos, pipe), batch_size=dl_cfg.batch_size,
            num_workers=out['num_workers'], shuffle=True,
            collate_fn=pseudo_collate)
        out['theirs'] = _time_loader(loader, steps, warmup)
        out['speed_ratio'] = (out['ours']['clips_per_s'] /
                              out['theirs']['clips_per_s'])
        out['speed_ratio_cpu'] = (out['theirs']['total_cpu_ms_per_clip'] /
                                  out['ours']['total_cpu_ms_per_clip'])
    return out


def run_benchmark(cfg, mode: str, batch: int = 2, steps: int = 10,
                  warmup: int = 3, compare: Optional[str] = None,
                  device: Optional[str] = None,
                  num_workers: Optional[int] = None,
                  num_repeats: Optional[int] = None) -> dict:
    """Run one benchmark; returns a JSON-serialisable dict."""
    if mode not in ('train', 'infer', 'data'):
        raise ValueError(f'mode must be train/infer/data, got {mode!r}.')
    if compare is not None and compare not in COMPARE_CHOICES:
        raise ValueError(f'--compare must be one of {COMPARE_CHOICES}.')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    result = dict(mode=mode, device=device, torch=torch.__version__,
                  threads=torch.get_num_threads(), steps=steps,
                  warmup=warmup, config=getattr(cfg, 'filename', None))
    if mode == 'data':
        result.update(benchmark_data(cfg, batch, steps, warmup,
                                     compare is not None, num_workers,
                                     num_repeats))
        return result
    t, h, w = clip_shape(cfg)
    result.update(batch=batch, clip_shape=[3, t, h, w])
    cx = model_complexity(build_recognizer(cfg, 'cpu'), (t, h, w))
    result.update(params=cx['params'], flops_per_clip=cx['flops'])
    train = mode == 'train'
    step_flops = cx['flops'] * batch * (3 if train else 1)
    model = build_recognizer(cfg, device)
    res = time_alternating(
        dict(ours=_recognizer_step(model, random_batch(cfg, batch, device),
                                   train, adamw_kwargs(cfg))),
        steps, warmup, device)['ours']
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
                                                 train, device)
    return result
