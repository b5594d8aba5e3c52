"""Stochastic depth (DropPath) on the residual branch."""
import torch
from torch import nn


def drop_path(x: torch.Tensor, drop_prob: float = 0.,
              training: bool = False) -> torch.Tensor:
    """Zero the whole residual branch of a random subset of samples.

    Kept samples are scaled by ``1 / (1 - drop_prob)`` so the expectation is
    unchanged. Identity at eval time or when ``drop_prob == 0``.
    """
    if drop_prob == 0. or not training:
        return x
    keep = 1. - drop_prob
    shape = (x.shape[0], ) + (1, ) * (x.ndim - 1)
    mask = x.new_empty(shape).bernoulli_(keep)
    return x * mask / keep


class DropPath(nn.Module):
    """Module form of :func:`drop_path`."""

    def __init__(self, drop_prob: float = 0.):
        super().__init__()
        if not 0. <= drop_prob < 1.:
            raise ValueError(f'DropPath: drop_prob must be in [0, 1), got '
                             f'{drop_prob}.')
        self.drop_prob = float(drop_prob)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.drop_prob, self.training)

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob}'
