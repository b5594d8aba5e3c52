"""Sharpness-Aware Minimisation optimiser wrapper (Foret et al., 2021).

HDF's DSM is "inspired by SAM" and the authors' training script optionally
wraps the base optimiser in SAM (docs/design.md,
'SAM'; rho = 0.05). One SAM update:

1. ``L(w)``, backward -> ``g = grad L(w)``;
2. ascend to ``w + e``, ``e = rho g / ||g||`` (adaptive SAM:
   ``e = rho w^2 g / ||w g||``);
3. ``L(w + e)``, backward -> ``grad L(w + e)``;
4. return to ``w`` and step the base optimiser with ``grad L(w + e)``.

SAM evaluates the loss twice on one batch, but MMEngine's ``train_step``
(and ``MMDistributedDataParallel.train_step``) hands ``update_params`` one
loss tensor. Design: inside ``optim_context(model)`` — which the stock
``train_step`` enters around the preprocessing and the forward — the wrapper
records the arguments of the model's loss forward (a forward pre-hook on the
model it is given, removed when the context exits); ``update_params(loss)``
then uses ``loss`` as ``L(w)`` and re-runs that forward (through the DDP
module under DDP, in the same AMP/``no_sync`` context) and the model's
``parse_losses`` for ``L(w + e)``. So any model trains with SAM through the
stock ``train_step`` and the stock DDP wrapper; the preprocessed batch is
reused, not preprocessed again. :meth:`step_with_closure` runs the same two
passes for a caller-supplied closure.

It is a :class:`GradNormOptimWrapper`: the gradient norm reported to the
model's gradient-norm loss scaler (HDF eq. 16-17) is that of the first,
unperturbed gradient ``grad L(w)``, and the scaler's lambdas stay those of
the first pass for the second one (docs/hdf.md).
Gradient accumulation is not supported (each step is two passes on one batch).
"""
from contextlib import contextmanager
from typing import Callable, Optional

import torch
from mmengine.model import is_model_wrapper
from torch import nn

from dfertools.registry import OPTIM_WRAPPERS
from .grad_norm_optim_wrapper import GradNormOptimWrapper


@OPTIM_WRAPPERS.register_module()
class SAMOptimWrapper(GradNormOptimWrapper):
    """OptimWrapper performing SAM's two forward/backward passes.

    Paper: SAM, "Sharpness-Aware Minimization for Efficiently Improving
    Generalization", Algorithm 1 (docs/papers.md).

    Args:
        optimizer: the base optimiser (e.g. AdamW).
        rho (float): radius of the ascent step. Defaults to 0.05.
        adaptive (bool): adaptive SAM (ASAM) scaling. Defaults to False.
        **kwargs: OptimWrapper arguments (``clip_grad``...).
    """

    def __init__(self, optimizer, rho: float = 0.05, adaptive: bool = False,
                 **kwargs) -> None:
        if kwargs.get('accumulative_counts', 1) != 1:
            raise ValueError('SAMOptimWrapper does not support '
                             'accumulative_counts > 1; remove it from '
                             'optim_wrapper in the config.')
        super().__init__(optimizer, **kwargs)
        if rho <= 0:
            raise ValueError(f'SAM rho must be > 0, got {rho}')
        self.rho = rho
        self.adaptive = adaptive

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The parent's context; also records the arguments of the first
        forward of ``model`` inside it (the loss forward) for the second
        pass."""
        calls = []

        def record(module, args, kwargs):
            if not calls:
                calls.append((args, kwargs))

        self._forward = None
        handle = model.register_forward_pre_hook(record, with_kwargs=True)
        try:
            with super().optim_context(model):
                yield
        finally:
            handle.remove()
        if calls:
            self._forward = (model, ) + calls[0]

    def _rerun(self) -> torch.Tensor:
        """``L`` at the current weights: the recorded loss forward again,
        parsed like the first one."""
        model, args, kwargs = self._forward
        with self._plain_context(model):
            losses = model(*args, **kwargs)
        module = model.module if is_model_wrapper(model) else model
        return module.parse_losses(losses)[0]

    def update_params(self, loss: torch.Tensor, step_kwargs=None,
                      zero_kwargs=None) -> None:
        """One SAM update from ``loss = L(w)`` of the forward recorded in
        ``optim_context``."""
        try:
            if getattr(self, '_forward', None) is None:
                raise RuntimeError(
                    'SAMOptimWrapper needs to re-evaluate the loss: call '
                    'update_params(loss) after the loss forward inside '
                    '`with optim_wrapper.optim_context(model)` (as '
                    "MMEngine's train_step does), or call "
                    'step_with_closure(closure) with a closure computing the '
                    'loss.')
            if step_kwargs or zero_kwargs:
                raise ValueError('SAMOptimWrapper.update_params takes no '
                                 'step_kwargs / zero_kwargs.')
            pending = [loss]

            def closure() -> torch.Tensor:
                return pending.pop() if pending else self._rerun()

            self.step_with_closure(closure)
        finally:
            self._forward = None
            self._close_step()

    def _params_with_grad(self):
        return [p for group in self.optimizer.param_groups
                for p in group['params'] if p.grad is not None]

    @torch.no_grad()
    def _ascend(self) -> list:
        params = self._params_with_grad()
        if not params:
            return []
        if self.adaptive:
            scaled = [p.abs() * p.grad for p in params]
        else:
            scaled = [p.grad for p in params]
        norms = torch.stack(torch._foreach_norm(scaled))
        if norms.dtype in (torch.float16, torch.bfloat16):
            norms = norms.float()
        norm = torch.linalg.vector_norm(norms)
        scale = self.rho / (norm + 1e-12)
        steps = []
        for p in params:
            e = p.grad * scale.to(p.grad.dtype)
            if self.adaptive:
                e = e * p.pow(2)
            p.add_(e)
            steps.append((p, e))
        return steps

    @torch.no_grad()
    def _descend(self, steps: list) -> None:
        for p, e in steps:
            p.sub_(e)

    def step_with_closure(
            self,
            closure: Callable[[], torch.Tensor],
            after_first_backward: Optional[Callable[[], None]] = None
    ) -> torch.Tensor:
        """One SAM update; ``closure()`` returns the loss at the current
        weights. The gradient norm is reported (:meth:`report_grad_norm`)
        and then ``after_first_backward`` runs while ``.grad`` holds
        ``grad L(w)``. Returns ``L(w)``."""
        loss = closure()
        self.backward(loss)
        self.report_grad_norm()
        if after_first_backward is not None:
            after_first_backward()
        steps = self._ascend()
        self.zero_grad()
        self.backward(closure())
        self._descend(steps)
        self.step()
        self.zero_grad()
        return loss
