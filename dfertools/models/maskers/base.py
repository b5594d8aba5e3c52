"""The masker contract (docs/design.md, 'Masker contract').

A masker decides, per sample, which of the N embedded tokens the encoder sees.
``forward(tokens[B, N, D], grid=(T', H', W'))`` returns a :class:`MaskOutput`:

* ``visible_idx`` ``[B, Nv]`` long, sorted ascending,
* ``masked_idx``  ``[B, Nm]`` long, sorted ascending, ``Nv + Nm = N``,
* ``mask``        ``[B, N]`` bool, ``True`` = masked,
* ``log_prob``    ``[B, N]`` float or ``None`` (policy-gradient maskers).

A masker is one file: subclass :class:`BaseMasker`, register it with
``@MASKERS.register_module()``, write :meth:`BaseMasker.sample` and declare
what it offers in the capability attributes below. :meth:`BaseMasker.forward`
checks the input (token count against the grid) and the output (shapes,
dtypes, ``Nm`` against :meth:`BaseMasker.expected_num_masked`, ``log_prob``
against ``provides_log_prob``) on every call without a host sync, and the
content (sorted, disjoint indices covering every token, consistent with the
mask) on the first call per grid and train/eval mode.

Implementations are vectorised over the batch (no Python loop over samples)
and every sample has the same ``Nv`` so the encoder can gather a dense batch.
"""
from typing import NamedTuple, Optional, Sequence, Tuple

import torch
from torch import nn

from ..utils.ratio_count import ratio_floor


class MaskOutput(NamedTuple):
    visible_idx: torch.Tensor
    masked_idx: torch.Tensor
    mask: torch.Tensor
    log_prob: Optional[torch.Tensor] = None


def check_grid(tokens: torch.Tensor, grid: Sequence[int],
               owner: str = 'masker') -> Tuple[int, int, int]:
    """``grid`` as three ints after checking ``tokens`` is ``[B, N, D]``
    with ``N = T' * H' * W'``; a ``ValueError`` names ``owner`` otherwise."""
    if tokens.dim() != 3:
        raise ValueError(f'{owner}: tokens must be [B, N, D], got shape '
                         f'{tuple(tokens.shape)}')
    if len(grid) != 3:
        raise ValueError(f"{owner}: grid must be (T', H', W'), got "
                         f'{tuple(grid)}')
    t, h, w = (int(g) for g in grid)
    if tokens.shape[1] != t * h * w:
        raise ValueError(f'{owner}: {tokens.shape[1]} tokens do not match '
                         f'the grid {(t, h, w)} ({t * h * w} tokens)')
    return t, h, w


def check_mask_content(out: MaskOutput, owner: str = 'masker') -> None:
    """Sorted, disjoint ``visible_idx`` / ``masked_idx`` that cover every
    token and agree with ``mask`` (reads values: a host sync)."""
    n = out.mask.shape[1]
    both = torch.cat([out.visible_idx, out.masked_idx], 1)
    problems = []
    for name, idx in (('visible_idx', out.visible_idx),
                      ('masked_idx', out.masked_idx)):
        if idx.shape[1] > 1 and not bool((idx.diff(dim=1) > 0).all()):
            problems.append(f'{name} is not strictly ascending')
    if not torch.equal(both.sort(1).values,
                       torch.arange(n, device=both.device).expand_as(both)):
        problems.append('visible_idx and masked_idx are not a partition of '
                        'the tokens')
    elif (out.mask.gather(1, out.visible_idx).any()
          or not out.mask.gather(1, out.masked_idx).all()):
        problems.append('mask disagrees with the indices')
    if problems:
        raise ValueError(f'{owner} broke the masker contract: '
                         + '; '.join(problems))


class BaseMasker(nn.Module):
    """Base class: the contract checks, the mask ratio and the conversions
    from a boolean mask or visible indices to a :class:`MaskOutput`.

    Capabilities (class attributes; a subclass overrides those it offers,
    and ``MaskedVideoPretrainer`` / ``SupervisedMAE`` check them when they
    are built):

    * ``provides_log_prob``: ``log_prob`` is ``log P`` ``[B, N]`` of the
      distribution the visible tokens are drawn from, differentiable with
      respect to the masker's parameters (needed by ``model.hrd_loss``).
    * ``needs_policy_loss``: the masker's parameters learn only through a
      policy loss on ``log_prob``; the pretrainer refuses it without
      ``model.hrd_loss``.
    * ``tube_structure``: every temporal slice has the same spatial mask
      (a tube), so ``Nm = T' * floor(rho * H'W')`` and the visible tokens
      reshape to ``[B, T', n_s]`` (``SupervisedMAE`` needs it).
    * ``deterministic_eval``: in eval mode the mask depends only on the
      tokens, not on the random state (``SupervisedMAE.eval_masker``).

    Args:
        mask_ratio (float): fraction of tokens hidden from the encoder, in
            ``[0, 1)``.
    """

    provides_log_prob: bool = False
    needs_policy_loss: bool = False
    tube_structure: bool = False
    deterministic_eval: bool = False

    def __init__(self, mask_ratio: float = 0.9):
        super().__init__()
        if not 0.0 <= mask_ratio < 1.0:
            raise ValueError(
                f'mask_ratio must be in [0, 1), got {mask_ratio}')
        self.mask_ratio = float(mask_ratio)
        self._content_checked = set()

    def num_masked(self, n: int) -> int:
        """Tokens masked out of ``n``: ``floor(ratio * n)`` (VideoMAE's
        ``int(ratio * n)``, without its float error: 0.7 of 90 is 63, see
        :func:`~dfertools.models.utils.ratio_count.ratio_floor`)."""
        return ratio_floor(self.mask_ratio, n)

    def expected_num_masked(self, grid: Tuple[int, int, int]) -> int:
        """``Nm`` on ``grid`` (docs/design.md, 'Masking ratio rounding'):
        ``T' * floor(rho * H'W')`` for a tube, ``floor(rho * N)``
        otherwise. A masker with another rule overrides this."""
        t, h, w = (int(g) for g in grid)
        if self.tube_structure:
            return t * self.num_masked(h * w)
        return self.num_masked(t * h * w)

    def sample(self, tokens: torch.Tensor,
               grid: Tuple[int, int, int]) -> MaskOutput:
        """The masker itself: a :class:`MaskOutput` for ``tokens`` ``[B, N,
        D]`` on the checked ``grid`` (three ints). Subclasses write this."""
        raise NotImplementedError(
            f'{type(self).__name__} must implement sample(tokens, grid)')

    def forward(self, tokens: torch.Tensor,
                grid: Tuple[int, int, int]) -> MaskOutput:
        owner = type(self).__name__
        grid = check_grid(tokens, grid, owner)
        out = self.sample(tokens, grid)
        self.check_output(out, tokens, grid)
        key = (grid, tokens.shape[0], self.training)
        if key not in self._content_checked and \
                out.mask.device.type != 'meta':
            check_mask_content(out, owner)
            self._content_checked.add(key)
        return out

    def check_output(self, out: MaskOutput, tokens: torch.Tensor,
                     grid: Tuple[int, int, int]) -> None:
        """Shapes, dtypes and counts of ``out`` (metadata only, no sync)."""
        b, n = tokens.shape[:2]
        owner = type(self).__name__
        nm = self.expected_num_masked(grid)
        want = dict(visible_idx=((b, n - nm), torch.long),
                    masked_idx=((b, nm), torch.long),
                    mask=((b, n), torch.bool))
        if not isinstance(out, MaskOutput):
            raise TypeError(f'{owner}.sample must return a MaskOutput, got '
                            f'{type(out).__name__}')
        for name, (shape, dtype) in want.items():
            x = getattr(out, name)
            if tuple(x.shape) != shape or x.dtype != dtype:
                raise ValueError(
                    f'{owner} broke the masker contract: {name} is '
                    f'{tuple(x.shape)} {x.dtype}, expected {shape} {dtype} '
                    f'(N = {n}, Nm = {nm} from mask_ratio '
                    f'{self.mask_ratio} on grid {grid})')
        lp = out.log_prob
        if self.provides_log_prob != (lp is not None):
            raise ValueError(
                f'{owner} broke the masker contract: provides_log_prob is '
                f'{self.provides_log_prob} but log_prob is '
                f'{"None" if lp is None else "set"}')
        if lp is not None and (tuple(lp.shape) != (b, n)
                               or not lp.is_floating_point()):
            raise ValueError(f'{owner} broke the masker contract: log_prob '
                             f'is {tuple(lp.shape)} {lp.dtype}, expected '
                             f'{(b, n)} float')

    @staticmethod
    def from_mask(mask: torch.Tensor,
                  log_prob: Optional[torch.Tensor] = None,
                  n_masked: Optional[int] = None) -> MaskOutput:
        """Build a :class:`MaskOutput` from a ``[B, N]`` bool mask in which
        every row masks the same number of tokens.

        Maskers that know their masked count statically pass ``n_masked``:
        the equal-count check (which reads the counts back to the host, a
        device sync per step) is then skipped. Without it the counts are
        checked and a clear error names them.
        """
        if mask.dim() != 2 or mask.dtype != torch.bool:
            raise ValueError('mask must be a [B, N] bool tensor')
        if n_masked is None:
            counts = mask.sum(1)
            if mask.shape[0] and not bool((counts == counts[0]).all()):
                raise ValueError('every sample must mask the same number of '
                                 f'tokens, got counts {counts.tolist()}')
            n_masked = int(counts[0]) if mask.shape[0] else 0
        # stable argsort of the bool mask: visible (False) first, each group
        # in ascending token order
        order = torch.sort(mask.to(torch.int8), dim=1, stable=True).indices
        n_visible = mask.shape[1] - n_masked
        return MaskOutput(order[:, :n_visible], order[:, n_visible:], mask,
                          log_prob)

    @staticmethod
    def from_visible(visible_idx: torch.Tensor, n: int,
                     log_prob: Optional[torch.Tensor] = None) -> MaskOutput:
        """Build a :class:`MaskOutput` from distinct (unsorted) visible
        indices ``[B, Nv]``; sync-free since the masked count is known."""
        mask = torch.ones(visible_idx.shape[0], n, dtype=torch.bool,
                          device=visible_idx.device)
        mask.scatter_(1, visible_idx, False)
        return BaseMasker.from_mask(mask, log_prob,
                                    n_masked=n - visible_idx.shape[1])
