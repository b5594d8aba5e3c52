"""Input-pipeline benchmark (``--mode data`` of tools/analysis/benchmark.py,
docs/benchmarks.md): clips/s and CPU time per clip of a config's training
DataLoader
and of mmaction2's stock decord pipeline on the same files with the same
DataLoader settings; optional repeated sampling (``RepeatAugment``).

CPU time: this process (the whole pipeline with ``num_workers=0``) plus its
DataLoader workers, reaped at the end of the run (``RUSAGE_CHILDREN``).
"""
import copy
import resource
import time
from typing import List, Optional

import torch

from .common import clip_shape, median

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
    times, clips, samples = [], 0, 0
    t_all, c_all = time.perf_counter(), time.process_time()
    for _ in range(steps):
        t0 = time.perf_counter()
        batch = next(it)
        times.append(time.perf_counter() - t0)
        clips += sum(int(x.shape[0]) if x.dim() == 5 else 1
                     for x in batch['inputs'])  # [R, C, T, H, W]: R clips
        samples += len(batch['inputs'])
    total = time.perf_counter() - t_all
    cpu = time.process_time() - c_all
    it.close()  # ends the epoch: workers shut down and are reaped
    if hasattr(loader, 'shutdown'):  # ThreadDataLoader: join its threads
        loader.shutdown()
    workers = getattr(loader, 'num_workers', 0)
    if hasattr(loader, 'samples_loaded'):  # counted by the loader itself
        produced = loader.samples_loaded * clips / max(samples, 1)
    else:
        # all clips the loader produced: warm-up, timed, and the batches
        # the workers had prefetched when it stopped
        batches = steps + warmup + ((loader.prefetch_factor or 0) * workers
                                    if workers else 0)
        produced = batches * clips / max(steps, 1)
    all_cpu = (time.process_time() - main0) + (_children_cpu_s() - children0)
    # clips_per_cpu_s: CPU time of this process only - the whole pipeline
    # with num_workers=0, just collation / transfer from workers otherwise;
    # total_cpu_ms_per_clip: this process + its reaped workers, per clip
    # produced (an estimate with workers: prefetch depth assumed full)
    return dict(median_s=median(times), times_s=times, clips=clips,
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

    from dfertools.datasets.clip_pipeline import dataset_pipeline
    from dfertools.engine.runner import DFERRunner
    init_default_scope(cfg.get('default_scope', 'dfertools'))
    dl_cfg = copy.deepcopy(cfg.train_dataloader)
    if batch:
        dl_cfg.batch_size = batch
    dl_cfg.persistent_workers = False
    # one endless epoch, as mmaction2's side below (a list of `need` clips)
    # and as a real run with persistent workers: without it the config's
    # epoch-long sampler ends every len(dataset) clips and the workers are
    # forked again, a start-up cost training does not pay
    dl_cfg.sampler = dict(type='InfiniteSampler', shuffle=True)
    if num_workers is not None:
        dl_cfg.num_workers = num_workers
    dl_cfg.dataset.pipeline = dataset_pipeline(dl_cfg.dataset)
    if num_repeats:
        dl_cfg.dataset.pipeline = with_repeats(dl_cfg.dataset.pipeline,
                                               num_repeats)
    need = (steps + warmup) * dl_cfg.batch_size
    ours_loader = DFERRunner.build_dataloader(dl_cfg)
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
        step = next((p.get('frame_interval', 1)
                     for p in dl_cfg.dataset.pipeline
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
