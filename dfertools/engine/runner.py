"""``DFERRunner``: MMEngine's Runner with two reliability fixes
(docs/design.md, 'Reliability principles').

The tools build this runner unless a config names its own ``runner_type``.

* **Resume never executes code from the checkpoint.** MMEngine's
  ``Runner.resume`` re-parses ``checkpoint['meta']['config']`` — the whole
  Python config text stored in the file — with ``Config.fromstring``, which
  executes it (and its ``custom_imports``), only to read ``gpu_ids``. Loading
  a downloaded checkpoint with ``--resume`` could therefore run arbitrary
  code even though the tensors are loaded ``weights_only``. We drop that text
  from the loaded dict before ``resume`` sees it (the weights, optimizer,
  scheduler, message hub, seed and dataset meta are untouched), so the
  GPU-count check is skipped; dfertools configs do not set ``gpu_ids``.
* **Checkpoints are written atomically.** Local checkpoints are written to a
  hidden temporary name in the same folder and ``os.replace``\\ d onto the
  final name, so a kill while saving never leaves a truncated
  ``epoch_N.pth`` that ``last_checkpoint`` points to.
* **Worker augmentation changes every epoch.** With a seed set and no
  ``worker_init_fn`` in the dataloader config, workers are seeded by
  :func:`~dfertools.engine.worker_seed.epoch_worker_init_fn` instead of
  MMEngine's per-epoch-constant seeds (see that module).
* **The optimiser wrapper fits the model.** A model with a gradient-norm
  loss scaler (HDF) needs a wrapper that measures g
  (``GradNormOptimWrapper`` and relatives); building another one raises
  with the fix, also under DDP where the model's own ``train_step`` is not
  called (:func:`check_grad_norm_wrapper`).
* **Thread loading on request.** ``worker_type='thread'`` in a dataloader
  config builds a :class:`~dfertools.datasets.thread_loader.ThreadDataLoader`
  (``num_workers`` threads, per-sample seeds) instead of worker processes.
"""
import os.path as osp

from mmengine.dist import get_rank, master_only
from mmengine.runner import Runner

from dfertools.datasets.thread_loader import build_thread_loader
from dfertools.models.losses.grad_norm_scaler import check_grad_norm_wrapper
from dfertools.registry import RUNNERS
from dfertools.utils.atomic_file import atomic_path
from dfertools.utils.registry_node import explain_unregistered
from .worker_seed import epoch_worker_init_fn


@RUNNERS.register_module()
class DFERRunner(Runner):
    """A :class:`mmengine.runner.Runner`; see the module docstring."""

    # MMEngine builds from its root registries: an unregistered type in the
    # config is explained (closest names) where the Runner builds it
    def __init__(self, *args, **kwargs):
        with explain_unregistered():
            super().__init__(*args, **kwargs)

    def train(self):
        with explain_unregistered():
            return super().train()

    def val(self):
        with explain_unregistered():
            return super().val()

    def test(self):
        with explain_unregistered():
            return super().test()

    def load_checkpoint(self, filename, map_location='cpu', strict=False,
                        revise_keys=[(r'^module.', '')]):  # noqa: B006
        checkpoint = super().load_checkpoint(
            filename, map_location=map_location, strict=strict,
            revise_keys=revise_keys)
        meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
        if isinstance(meta, dict) and 'config' in meta:
            meta = dict(meta)
            meta.pop('config')
            checkpoint['meta'] = meta
        return checkpoint

    def build_optim_wrapper(self, optim_wrapper):
        built = super().build_optim_wrapper(optim_wrapper)
        filename = getattr(self.cfg, 'filename', None)
        check_grad_norm_wrapper(self.model, built,
                                where=f'{filename}: ' if filename else '')
        return built

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        if isinstance(dataloader, dict):
            dataloader = dict(dataloader)
            worker_type = dataloader.pop('worker_type', 'process')
            if worker_type == 'thread':
                return build_thread_loader(dataloader, Runner.build_dataloader,
                                           seed, diff_rank_seed,
                                           rank=get_rank())
            if worker_type != 'process':
                raise ValueError(
                    "dataloader worker_type must be 'process' (the default) "
                    f"or 'thread', got {worker_type!r}.")
        if (isinstance(dataloader, dict) and seed is not None
                and dataloader.get('num_workers', 0) > 0
                and 'worker_init_fn' not in dataloader):
            dataloader = dict(dataloader, worker_init_fn=dict(
                type=epoch_worker_init_fn, rank=get_rank(),
                disable_subprocess_warning=dataloader.get(
                    'disable_subprocess_warning', False)))
            dataloader.pop('disable_subprocess_warning', None)
        return Runner.build_dataloader(dataloader, seed, diff_rank_seed)

    @master_only  # like Runner.save_checkpoint: only rank 0 writes
    def save_checkpoint(self, out_dir, filename, *args, **kwargs):
        if '://' in str(out_dir):  # remote backends write in one request
            return super().save_checkpoint(out_dir, filename, *args, **kwargs)
        with atomic_path(osp.join(out_dir, filename)) as tmp:
            return super().save_checkpoint(out_dir, osp.basename(tmp), *args,
                                           **kwargs)
