"""Sharpness-Aware Minimisation optimiser wrapper (Foret et al., 2021).

HDF's DSM is "inspired by SAM" and the authors' training script optionally
wraps the base optimiser in SAM (docs/design.md,
'SAM'; rho = 0.05). One SAM update:

1. ``L(w)``, backward -> ``g = grad L(w)``;
2. ascend to ``w + e``, ``e = rho g / ||g||`` (adaptive SAM:
   ``e = rho w^2 g / ||w g||``);
3. ``L(w + e)``, backward -> ``grad L(w + e)``;
4. return to ``w`` and step the base optimiser with ``grad L(w + e)``.

SAM needs to evaluate the loss twice, so it cannot work from the single loss
tensor that ``OptimWrapper.update_params`` receives. Design: the wrapper
exposes :meth:`step_with_closure`; a model's ``train_step`` that finds this
method hands it a closure computing the (parsed) loss (HDFRecognizer does);
``update_params`` raises a clear error instead of silently doing plain SGD.
Gradient accumulation is not supported (each step is two passes on one batch).
"""
from typing import Callable, Optional

import torch
from mmengine.optim import OptimWrapper

from dfertools.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class SAMOptimWrapper(OptimWrapper):
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

    def update_params(self, loss, step_kwargs=None, zero_kwargs=None):
        raise RuntimeError(
            'SAMOptimWrapper needs to re-evaluate the loss: the model\'s '
            'train_step must call optim_wrapper.step_with_closure(closure) '
            '(HDFRecognizer does). Use a plain OptimWrapper with other '
            'models.')

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
        weights. ``after_first_backward`` runs while ``.grad`` holds
        ``grad L(w)`` (e.g. to record its norm). Returns ``L(w)``."""
        loss = closure()
        self.backward(loss)
        if after_first_backward is not None:
            after_first_backward()
        steps = self._ascend()
        self.zero_grad()
        self.backward(closure())
        self._descend(steps)
        self.step()
        self.zero_grad()
        return loss
