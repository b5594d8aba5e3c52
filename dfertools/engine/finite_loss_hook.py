"""NonFiniteLossHook: a NaN/Inf loss stops the run with the step and batch ids
(docs/design.md, 'Reliability principles'), and never reaches the weights.

Where the check sits. In MMEngine the whole step happens inside
``model.train_step``: forward, ``parse_losses``, then
``optim_wrapper.update_params(loss)`` = scale, backward, ``step()``,
``zero_grad()`` (:class:`GradNormOptimWrapper` measures the gradient
norm between the two; :class:`SAMOptimWrapper` makes two backwards and
one step). A hook only runs afterwards (``after_train_iter``), when a NaN
update would already have been applied (and AdamW's moments poisoned). So
the hook installs, in ``before_train``, a guard on ``backward`` and
``step`` of every optimizer wrapper of the runner (any OptimWrapper
subclass: plain, AMP, SAM), the two methods every update path goes through:

* ``backward(loss)`` checks the loss it is given (unscaled by AMP) before
  anything else, then runs the backward anyway (so DDP's reducer and the
  gradient-accumulation counter stay consistent across ranks); if the loss
  was not finite it drops the gradients at once, so neither SAM's ascent
  nor HDF's gradient-norm measurement sees a NaN gradient;
* ``step()`` after such a backward does ``zero_grad()`` instead: the
  parameters, the optimizer state and the AMP loss scale are left
  untouched. With gradient accumulation the whole window is dropped.
* Buffers changed by the bad forward (BatchNorm running statistics, the
  DSM scaler's ``g``) are restored from a copy taken in
  ``before_train_iter`` (``restore_buffers=True``; buffers are small).

The hook then, in ``after_train_iter`` (where it sees the batch and the loss
parts), raises :class:`NonFiniteLossError` naming the iteration, epoch, the
batch's ``video_id``/``view_id`` and every loss part — or, with
``max_skips=N``, logs a warning and continues, failing at the (N+1)-th bad
step of the run (the count survives resume through the message hub).

AMP: the grad scaler's overflow steps (finite loss, inf gradients) are *not*
flagged — only the loss is checked, and the scaler skips those steps and
lowers its scale as usual.

Cost: one device->host sync of a boolean per backward (two per SAM step;
plus, under DDP, one all-reduce of a single int so every rank takes the same
decision and no rank hangs in the backward all-reduce), and a device copy of
the model's buffers per iteration (BatchNorm statistics, position tables:
small next to the weights; ``restore_buffers=False`` skips it). MMEngine already syncs every loss value
each iteration for logging (``RuntimeInfoHook`` calls ``.item()``), so the
extra cost is only that the CPU waits for the forward before queueing the
backward; on a GPU this is a gap of the order of the kernel launch latency.
Set ``guard=False`` to keep the step sync-free: the loss is then checked only
after the step (from the values mmengine already synced), which still stops
the run with the batch ids, but after the bad update was applied.
"""
import math
from typing import List, Optional, Sequence

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper, OptimWrapperDict

from dfertools.registry import HOOKS

SKIPS_KEY = 'non_finite_loss_skips'


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""


class _UpdateGuard:
    """Guards ``backward`` and ``step`` of one OptimWrapper instance.

    Every path that updates the weights goes through these two methods:
    ``update_params`` (plain, AMP, accumulation, the grad-norm wrappers)
    and SAM's two passes (two ``backward`` calls, one ``step``).
    """

    def __init__(self, wrapper: OptimWrapper):
        self.wrapper = wrapper
        self.original_backward = wrapper.backward
        self.original_step = wrapper.step
        self.tripped = False   # a bad loss since the hook last looked
        self.poisoned = False  # a bad loss since the last (skipped) step

    @staticmethod
    def is_bad(loss: torch.Tensor) -> bool:
        bad = (~torch.isfinite(loss.detach())).any().to(torch.int32)
        if is_distributed():
            torch_dist.all_reduce(bad, op=torch_dist.ReduceOp.MAX)
        return bool(bad)  # the one host sync

    def backward(self, loss, **kwargs):
        bad = self.is_bad(loss)
        # always run it: DDP's reducer expects the backward on every rank
        self.original_backward(loss, **kwargs)
        if bad:
            self.tripped = self.poisoned = True
            # no NaN gradient is left for SAM's ascent, grad-norm
            # measurements or the step
            self.wrapper.optimizer.zero_grad(set_to_none=True)

    def step(self, **kwargs):
        if not self.poisoned:
            return self.original_step(**kwargs)
        # skip: parameters, optimizer state and AMP loss scale untouched;
        # the gradients of the whole accumulation window are dropped
        self.poisoned = False
        self.wrapper.optimizer.zero_grad(set_to_none=True)

    def install(self):
        self.wrapper.backward = self.backward
        self.wrapper.step = self.step

    def remove(self):
        for name in ('backward', 'step'):
            self.wrapper.__dict__.pop(name, None)


def _sample_ids(data_batch, limit: int = 64) -> List[str]:
    samples = data_batch.get('data_samples') if isinstance(
        data_batch, dict) else None
    ids = []
    for i, s in enumerate(samples or []):
        meta = getattr(s, 'metainfo', s if isinstance(s, dict) else {})
        vid = meta.get('video_id', meta.get('filename'))
        if vid is None:
            ids.append(f'#{i} (no video_id)')
        else:
            view = meta.get('view_id')
            ids.append(str(vid) if view is None else f'{vid} [view {view}]')
    if len(ids) > limit:
        ids = ids[:limit] + [f'... {len(ids) - limit} more']
    return ids


def _loss_parts(outputs) -> str:
    parts = []
    for k, v in (outputs or {}).items():
        try:
            v = v.detach() if hasattr(v, 'detach') else v
            parts.append(f'{k}={float(v):.6g}')
        except (TypeError, ValueError, RuntimeError):
            parts.append(f'{k}={v}')
    return ', '.join(parts) or '(no loss outputs)'


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop (or skip up to ``max_skips`` steps) on a non-finite loss.

    Args:
        max_skips: bad steps to skip (parameters not updated) before failing;
            0 = fail at the first one.
        guard: install the pre-step guard on the optimizer wrappers (see the
            module docstring). ``False`` only detects after the step.
        restore_buffers: on a bad step, put back the model's buffers as
            they were before the iteration (needs ``guard``).
    """
    priority = 'ABOVE_NORMAL'  # before LoggerHook and CheckpointHook

    def __init__(self, max_skips: int = 0, guard: bool = True,
                 restore_buffers: bool = True):
        if max_skips < 0:
            raise ValueError(f'max_skips must be >= 0, got {max_skips}')
        self.max_skips = int(max_skips)
        self.guard = guard
        self.restore_buffers = restore_buffers and guard
        self._buffer_copy: List = []
        self._guards: List[_UpdateGuard] = []
        self.num_skipped = 0

    def before_train(self, runner) -> None:
        self.num_skipped = int(runner.message_hub.get_info(SKIPS_KEY, 0))
        if not self.guard:
            return
        ow = runner.optim_wrapper
        wrappers: Sequence = (list(ow.values()) if isinstance(
            ow, OptimWrapperDict) else [ow])
        for w in wrappers:
            if isinstance(w, OptimWrapper):
                g = _UpdateGuard(w)
                g.install()
                self._guards.append(g)
        if not self._guards:
            runner.logger.warning(
                f'NonFiniteLossHook: optim_wrapper {type(ow).__name__} is not '
                'an OptimWrapper; checking the loss only after each step.')

    def after_train(self, runner) -> None:
        for g in self._guards:
            g.remove()
        self._guards = []

    def _bad_step(self, outputs) -> bool:
        if self._guards:
            tripped = any(g.tripped for g in self._guards)
            for g in self._guards:
                g.tripped = False
            return tripped
        loss = (outputs or {}).get('loss')
        return loss is not None and not math.isfinite(float(
            loss.detach() if hasattr(loss, 'detach') else loss))

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if self.restore_buffers and self._guards:
            self._buffer_copy = [(b, b.detach().clone())
                                 for b in runner.model.buffers()]

    @torch.no_grad()
    def _restore_buffers(self) -> None:
        for buf, copy in self._buffer_copy:
            buf.copy_(copy)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not self._bad_step(outputs):
            self._buffer_copy = []
            return
        self._restore_buffers()
        self._buffer_copy = []
        applied = ('not applied' if self._guards else
                   'ALREADY APPLIED (guard=False)')
        msg = (f'non-finite loss at iteration {runner.iter + 1} (epoch '
               f'{runner.epoch + 1}, batch {batch_idx + 1}); loss parts: '
               f'{_loss_parts(outputs)}; batch samples: '
               f'{_sample_ids(data_batch)}; the update was {applied}.')
        self.num_skipped += 1
        runner.message_hub.update_info(SKIPS_KEY, self.num_skipped)
        if self.num_skipped > self.max_skips:
            raise NonFiniteLossError(
                msg + f' Stopping after {self.num_skipped} bad step(s) '
                f'(NonFiniteLossHook max_skips={self.max_skips}). Fixes: '
                'lower the learning rate, enable gradient clipping '
                '(optim_wrapper.clip_grad), check the listed samples, or '
                'raise max_skips to tolerate rare bad batches.')
        runner.logger.warning(msg + f' Skipped ({self.num_skipped}/'
                              f'{self.max_skips} allowed).')
