"""Gradient-norm loss scaler of DSM (HDF eq. 16-17).

``lambda_CE = alpha g / (g + 1)``, ``lambda_SC = beta / (g + 1)`` with
``g = ||grad_W L_total||_2``, the global L2 norm over all parameters.

Choice (docs/design.md, 'Grad-norm loss scaler'): g is taken from the
*previous* optimisation step (detached;
g = 1 before the first step), since the current step's gradient depends on the
lambdas themselves. ``exact=True`` instead spends one extra backward per step:
the loss terms are differentiated with the previous lambdas to measure the
current g, then the lambdas of that g are used (see HDFRecognizer).

g lives in a persistent buffer, so it follows the model's device, is saved in
checkpoints and a resumed run continues exactly. Everything stays on the
device: no ``.item()`` in the step.
"""
from typing import Callable, Iterable, List, Optional, Tuple

import torch
from torch import nn

from dfertools.registry import MODELS


def global_grad_norm(params: Iterable[nn.Parameter],
                     grads: Optional[Iterable[torch.Tensor]] = None
                     ) -> torch.Tensor:
    """L2 norm of all gradients together (``.grad`` unless ``grads``)."""
    if grads is None:
        grads = [p.grad for p in params]
    grads = [g.detach() for g in grads if g is not None]
    if not grads:
        return torch.zeros(())
    norms = torch._foreach_norm(grads)
    return torch.linalg.vector_norm(torch.stack(norms).float())


def grad_norm_receivers(model: nn.Module) -> List[nn.Module]:
    """The modules of ``model`` (or of the model a DDP wrapper holds) that
    take the gradient norm of each update from the optimiser wrapper."""
    return [m for m in model.modules()
            if callable(getattr(type(m), 'report_grad_norm', None))]


def check_grad_norm_wrapper(model: nn.Module, optim_wrapper,
                            where: str = '') -> None:
    """Raise when ``model`` has a gradient-norm receiver and
    ``optim_wrapper`` does not report to it (it would keep g at its initial
    value)."""
    receivers = grad_norm_receivers(model)
    if not receivers or callable(getattr(type(optim_wrapper),
                                         'report_grad_norm', None)):
        return
    raise TypeError(
        f'{where}the model has a {type(receivers[0]).__name__} (HDF eq. 16)'
        ' whose gradient norm g is measured by the optimiser wrapper, but '
        f'optim_wrapper is a {type(optim_wrapper).__name__}, which does '
        "not measure it; set optim_wrapper=dict(type='GradNormOptimWrapper'"
        ", ...) ('AmpGradNormOptimWrapper' for mixed precision, "
        "'SAMOptimWrapper' for SAM).")


@MODELS.register_module()
class GradNormLossScaler(nn.Module):
    """HDF eq. 16.

    Paper: HDF, "Learning from Heterogeneity: Generalizing Dynamic Facial
    Expression Recognition via Distributionally Robust Optimization", eq. 16-17
    (docs/papers.md).

    Args:
        alpha (float): base weight of the classification loss (10).
        beta (float): base weight of the contrastive loss (0.1).
        exact (bool): measure g at the current step (one extra backward).
        init_g (float): g before the first step. Defaults to 1.
    """

    def __init__(self, alpha: float = 10.0, beta: float = 0.1,
                 exact: bool = False, init_g: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha
        self.beta = beta
        self.exact = exact
        self.register_buffer('g', torch.tensor(float(init_g)))
        self._step_open = False
        self._step_weights: Optional[Tuple[torch.Tensor, torch.Tensor]] = None

    def weights(self, g: Optional[torch.Tensor] = None):
        """(lambda_CE, lambda_SC) for ``g`` (default: the stored g)."""
        g = self.g if g is None else g
        return self.alpha * g / (g + 1), self.beta / (g + 1)

    @torch.no_grad()
    def update(self, g: torch.Tensor) -> None:
        """Store a new g; a non-finite g (AMP overflow) keeps the old one."""
        g = g.detach().to(self.g)
        self.g.copy_(torch.where(torch.isfinite(g), g, self.g))

    # --- one optimisation step, driven by the optimiser wrapper ---------
    def open_step(self) -> None:
        self._step_open, self._step_weights = True, None

    def close_step(self) -> None:
        self._step_open, self._step_weights = False, None

    def step_weights(self, measure: Optional[Callable[[], torch.Tensor]] = None
                     ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(lambda_CE, lambda_SC) of the current step. The first call of an
        open step fixes them, in ``exact`` mode after storing ``measure()``
        (the current g); later calls of the step return the same tensors.
        Outside a step: :meth:`weights` of the stored g."""
        if self._step_weights is not None:
            return self._step_weights
        if self._step_open and self.exact and measure is not None:
            self.update(measure())
        weights = self.weights()
        if self._step_open:
            self._step_weights = weights
        return weights

    @property
    def wants_grad_norm(self) -> bool:
        """The lambdas were used in this step and g comes from the wrapper
        (not ``exact`` mode)."""
        return self._step_weights is not None and not self.exact

    def report_grad_norm(self, g: torch.Tensor) -> None:
        """The wrapper's measurement of this step's g (for the next step)."""
        if self.wants_grad_norm:
            self.update(g)
