"""Optimiser wrappers that measure the gradient norm of every update for the
model's gradient-norm loss scaler (HDF eq. 16-17).

HDF's DSM weights its two losses with ``lambda(g)``, g the global L2 norm of
the gradient of the total loss (:class:`GradNormLossScaler`). Applying the
lambdas is part of the loss (the model does it in ``loss``); measuring g
needs the gradient, which only exists inside the update — so the
measurement lives here, the model keeps MMEngine's ``train_step`` and
distributed training uses MMEngine's stock ``MMDistributedDataParallel`` (g
is then the norm of the all-reduced gradient).

One training step (MMEngine's ``train_step``):

1. ``optim_context(model)``, around the preprocessing and the forward, opens
   a step on every *receiver* of the model (a module with ``open_step``,
   ``wants_grad_norm``, ``report_grad_norm`` and ``close_step``, i.e.
   :class:`GradNormLossScaler`): the first loss of the step fixes its lambdas
   and any further forward of the same step (SAM's second pass) reuses them;
2. ``update_params(loss)``: backward; when the update happens
   (``should_update``), the global gradient norm of the model's parameters is
   measured *before* the optimiser step (and before gradient clipping), and
   reported to every receiver that used its lambdas in this step and asks
   for it (not the scaler's ``exact`` mode, which measured g itself); then
   ``step`` and ``zero_grad``;
3. the step is closed (also when anything raised).

AMP: :class:`AmpGradNormOptimWrapper` (MMEngine's ``AmpOptimWrapper`` with
this behaviour) divides the norm by the loss scale, read through the
GradScaler's public ``scale()`` applied to a one — a device tensor, so no
host sync (``get_scale()`` would sync every step). An overflow step gives an
infinite g, which the scaler ignores (it keeps the previous g).

A model with a receiver trained through a wrapper that does not report would
silently keep g at its initial value: :func:`check_grad_norm_wrapper` refuses
that (``dfertools/models/losses/grad_norm_scaler.py``; called by
``HDFRecognizer.train_step`` and by ``DFERRunner`` when it builds the optim
wrapper, which also covers distributed runs).
"""
from contextlib import contextmanager
from typing import List, Optional

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch import nn

from dfertools.models.losses.grad_norm_scaler import (global_grad_norm,
                                                      grad_norm_receivers)
from dfertools.registry import OPTIM_WRAPPERS


class GradNormReporting:
    """Mixin for an ``OptimWrapper`` subclass: opens a step on the model's
    receivers in ``optim_context`` and reports the gradient norm before the
    optimiser step (see the module docstring)."""

    _receivers: List[nn.Module] = []
    _model: Optional[nn.Module] = None

    def _plain_context(self, model: nn.Module):
        """The wrapped class's own context (AMP autocast, ``no_sync``)."""
        return super().optim_context(model)

    @contextmanager
    def optim_context(self, model: nn.Module):
        self._close_step()
        self._model = model
        self._receivers = grad_norm_receivers(model)
        for r in self._receivers:
            r.open_step()
        try:
            with self._plain_context(model):
                yield
        except BaseException:
            self._close_step()
            raise

    def _close_step(self) -> None:
        for r in self._receivers:
            r.close_step()
        self._receivers, self._model = [], None

    def report_grad_norm(self) -> None:
        """Measure the global gradient norm (unscaled under AMP) and give it
        to the receivers that ask for it."""
        wanting = [r for r in self._receivers if r.wants_grad_norm]
        if not wanting:
            return
        params = [p for p in self._model.parameters() if p.grad is not None]
        if not params:  # nothing to measure (e.g. a bad step's dropped grads)
            return
        g = global_grad_norm(params)
        grad_scaler = getattr(self, 'loss_scaler', None)  # AmpOptimWrapper
        if grad_scaler is not None:
            g = g / grad_scaler.scale(torch.ones((), device=g.device))
        for r in wanting:
            r.report_grad_norm(g)

    def update_params(self, loss: torch.Tensor, step_kwargs=None,
                      zero_kwargs=None) -> None:
        """``OptimWrapper.update_params`` with the report between the
        backward and the optimiser step."""
        try:
            self.backward(self.scale_loss(loss))
            if self.should_update():
                self.report_grad_norm()
                self.step(**(step_kwargs or {}))
                self.zero_grad(**(zero_kwargs or {}))
        finally:
            self._close_step()


@OPTIM_WRAPPERS.register_module()
class GradNormOptimWrapper(GradNormReporting, OptimWrapper):
    """``OptimWrapper`` that reports each update's gradient norm to the
    model's :class:`GradNormLossScaler` (HDF eq. 16-17).

    Paper: HDF, "Learning from Heterogeneity: Generalizing Dynamic Facial
    Expression Recognition via Distributionally Robust Optimization", eq.
    16-17 (docs/papers.md). Arguments: those of ``OptimWrapper``.
    """


@OPTIM_WRAPPERS.register_module()
class AmpGradNormOptimWrapper(GradNormReporting, AmpOptimWrapper):
    """``AmpOptimWrapper`` that reports each update's gradient norm, divided
    by the loss scale, to the model's :class:`GradNormLossScaler` (HDF eq.
    16-17). Arguments: those of ``AmpOptimWrapper``."""
