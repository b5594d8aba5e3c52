"""Orthonormal 2-D DCT-II as an analytic basis (HDF eq. 2-3).

Choice (docs/design.md, 'DAM'): the DCT of the frequency branch is not a
learned
convolution; it is the fixed orthonormal DCT-II basis, applied separably over
the spatial axes of every (channel, frame) slice and held in non-persistent
buffers. The basis is rebuilt from the actual spatial size of the input, so any
resolution works and checkpoints do not depend on it.
"""
import math

import torch
from torch import nn


def dct_matrix(n: int, dtype=torch.float32, device=None) -> torch.Tensor:
    """The n x n orthonormal DCT-II matrix ``D`` (HDF eq. 2-3).

    ``D[u, i] = alpha(u) * cos(pi * (2i + 1) * u / (2n))`` with
    ``alpha(0) = sqrt(1/n)`` and ``alpha(u) = sqrt(2/n)`` otherwise, so
    ``D @ x`` is the DCT-II of ``x`` and ``D @ D.T = I``.
    """
    if n < 1:
        raise ValueError(f'dct_matrix needs n >= 1, got {n}')
    u = torch.arange(n, dtype=torch.float64).unsqueeze(1)
    i = torch.arange(n, dtype=torch.float64).unsqueeze(0)
    basis = torch.cos(math.pi * (2 * i + 1) * u / (2 * n))
    alpha = torch.full((n, 1), math.sqrt(2.0 / n), dtype=torch.float64)
    alpha[0, 0] = math.sqrt(1.0 / n)
    return (alpha * basis).to(dtype=dtype, device=device)


class DCT2D(nn.Module):
    """Separable orthonormal 2-D DCT-II over the last two axes (HDF eq. 2).

    Paper: HDF, "Learning from Heterogeneity: Generalizing Dynamic Facial
    Expression Recognition via Distributionally Robust Optimization", eq. 2-3
    (docs/papers.md).

    ``X_f = D_H x D_W^T`` for every leading index. The bases live in the
    non-persistent buffers ``basis_h`` [H, H] and ``basis_w`` [W, W], in the
    input's dtype and on its device: they are recomputed (once) when the
    input's spatial size, dtype or device changes. Each is computed in
    float64 and rounded once to the input's dtype, so a float64 input gets a
    float64-exact basis (a float32 basis cast up would carry float32 error,
    ~1e-7, into every coefficient).
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer('basis_h', torch.empty(0, 0), persistent=False)
        self.register_buffer('basis_w', torch.empty(0, 0), persistent=False)
        # (size, dtype, device) each buffer was computed for: a module-wide
        # .to(dtype) casts the buffers without recomputing them
        self._built = {'basis_h': None, 'basis_w': None}

    def _basis(self, name: str, n: int, ref: torch.Tensor) -> torch.Tensor:
        dtype = ref.dtype if ref.dtype.is_floating_point else torch.float32
        key = (n, dtype, ref.device)
        buf = getattr(self, name)
        if self._built[name] != key or buf.dtype != dtype or \
                buf.device != ref.device:
            buf = dct_matrix(n, dtype=dtype, device=ref.device)
            setattr(self, name, buf)
            self._built[name] = key
        return buf

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        bh = self._basis('basis_h', h, x)
        bw = self._basis('basis_w', w, x)
        return torch.matmul(torch.matmul(bh, x), bw.transpose(0, 1))
