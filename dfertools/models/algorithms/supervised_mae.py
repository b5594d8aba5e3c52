"""AdaTosk: supervised masked autoencoder with temporal soft masks (AdaTosk
§3; docs/design.md, 'AdaTosk').

Two parallel branches on one encoder pass (Fig. 2):

* self-supervised reconstruction: the :class:`MaskedVideoPretrainer` path
  unchanged (tube hard mask ``rho = 0.7``, eq. 3; HSM / HRD options
  included), giving ``L_rec``;
* supervised classification on the *encoded visible tokens* ``E``: with a
  tube mask every temporal slice keeps the same ``n_s`` tokens, so ``E``
  reshapes to ``[B, n_t, n_s, D]``; the soft mask ``S`` (eq. 4-12) weights
  it and a two-layer MLP classifies the mean (eq. 1, 13) -
  :class:`SoftMaskClsHead`.

Loss (eq. 2): ``lambda_rec * L_rec + lambda_cls * L_cls`` with
``lambda_rec = 1`` and ``lambda_cls = 0.1``.

Inference (``predict``) classifies from the visible tokens of a
deterministic tube mask (``eval_masker``, default ``FixedTubeMasker`` with
ratio 0.7; ratio 0 = all tokens); ``pred_score`` holds softmax
probabilities, so ``DFERMetric`` averages views per video.

Composition: ``loss`` chains the pretrainer's steps
(:meth:`~MaskedVideoPretrainer.masked_pass`, then
:meth:`~MaskedVideoPretrainer.reconstruction_losses`) and feeds the encoded
visible tokens of that same pass to the classification branch, so the two
branches share one encoder pass as in the paper.
"""
from typing import Dict, List, Optional, Tuple

import torch

from dfertools.registry import MASKERS, MODELS
from ..maskers.capabilities import require
from .masked_pretrainer import (MaskedVideoPretrainer, _build,
                                _fill_from_backbone)


@MODELS.register_module()
class SupervisedMAE(MaskedVideoPretrainer):
    """AdaTosk (adatosk §3).

    Paper: AdaTosk, "Soften the Mask: Adaptive Temporal Soft Mask for Efficient
    Dynamic Facial Expression Recognition", §3, eq. 1-3, 13 (docs/papers.md).

    Args:
        backbone, masker, decoder, rec_loss, hsm, hrd_loss,
            data_preprocessor: as :class:`MaskedVideoPretrainer`; the masker
            must keep the same number of tokens in every temporal slice (a
            tube mask) so ``E`` reshapes to ``[B, n_t, n_s, D]``.
        cls_head (dict): the classification branch, normally
            :class:`SoftMaskClsHead`; ``in_channels`` is filled from the
            backbone.
        eval_masker (dict, optional): the deterministic hard mask used by
            ``predict``. Defaults to ``FixedTubeMasker(mask_ratio=0.7)``;
            ``None`` uses every token.
        lambda_rec (float): weight of ``L_rec`` (eq. 2). Defaults to 1.
        lambda_cls (float): weight of ``L_cls`` (eq. 2). Defaults to 0.1.
    """

    def __init__(self,
                 backbone: dict,
                 masker: dict,
                 decoder: dict,
                 cls_head: dict,
                 rec_loss: dict = dict(type='MaskedReconstructionLoss'),
                 eval_masker: Optional[dict] = dict(type='FixedTubeMasker',
                                                    mask_ratio=0.7),
                 lambda_rec: float = 1.0,
                 lambda_cls: float = 0.1,
                 hsm: Optional[dict] = None,
                 hrd_loss: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(backbone, masker, decoder, rec_loss=rec_loss,
                         hsm=hsm, hrd_loss=hrd_loss,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if isinstance(cls_head, dict):
            cls_head = _fill_from_backbone(
                cls_head, MODELS, in_channels=self.backbone.embed_dims)
        self.cls_head = _build(cls_head)
        self.eval_masker = (_build(eval_masker, MASKERS)
                            if eval_masker is not None else None)
        self.lambda_rec = float(lambda_rec)
        self.lambda_cls = float(lambda_cls)
        self._tube_checked = set()
        self._check_tube_maskers()

    def _check_tube_maskers(self) -> None:
        """The soft masks need tube maskers, and ``predict`` a masker that
        does not depend on the random state (checked when built)."""
        need = 'the soft masks need ([B, n_t, n_s, D] visible tokens); use ' \
            "TubeMasker / FixedTubeMasker"
        require(self.masker, 'tube_structure', 'model.masker', need)
        if self.eval_masker is not None:
            require(self.eval_masker, 'tube_structure', 'model.eval_masker',
                    need)
            require(self.eval_masker, 'deterministic_eval',
                    'model.eval_masker', 'the test-time hard mask needs (it '
                    "must not depend on the random state); use "
                    "FixedTubeMasker or eval_masker=None")

    # --- the classification branch ------------------------------------
    def token_grid(self, latent: torch.Tensor,
                   visible_idx: Optional[torch.Tensor],
                   grid: Tuple[int, int, int], role: str) -> torch.Tensor:
        """``E [B, Nv, D] -> [B, n_t, n_s, D]`` (adatosk §3.2: ``n_t = T'``,
        ``n_s = H'W'(1 - rho)``).

        The visible tokens must be a tube (the same count in every temporal
        slice, sorted in (t, h, w) order). The count is checked every call;
        the slice layout once per ``role`` (``'train'`` / ``'eval'``), since
        a full check is a host sync (docs/design.md, 'Performance
        principles')."""
        b, nv, d = latent.shape
        n_t, hw = int(grid[0]), int(grid[1]) * int(grid[2])
        if nv % n_t:
            raise ValueError(
                f'SupervisedMAE: {nv} visible tokens do not split into '
                f'{n_t} temporal slices; the soft masks need a tube mask '
                "(masker=dict(type='TubeMasker') / 'FixedTubeMasker')")
        n_s = nv // n_t
        if visible_idx is not None and role not in self._tube_checked \
                and latent.device.type != 'meta':
            slices = torch.div(visible_idx, hw, rounding_mode='floor')
            expected = torch.arange(n_t, device=slices.device)
            if not bool((slices.view(b, n_t, n_s) ==
                         expected[None, :, None]).all()):
                raise ValueError(
                    f'SupervisedMAE: the {role} masker does not keep a tube '
                    '(each temporal slice must keep the same number of '
                    'tokens, indices sorted); use TubeMasker / '
                    'FixedTubeMasker')
            self._tube_checked.add(role)
        return latent.view(b, n_t, n_s, d)

    def classify(self, x: torch.Tensor, masker=None,
                 role: str = 'eval') -> Tuple[torch.Tensor, dict]:
        """Encode ``x`` under ``masker`` (``None``: every token) and return
        the ``[B, n_t, n_s, D]`` visible tokens and the mask info."""
        tokens, grid = self.backbone.embed(x)
        visible_idx, masks = None, None
        if masker is not None:
            masks = masker(tokens, grid)
            visible_idx = masks.visible_idx
        latent = self.encode_visible(tokens, grid, visible_idx)
        return self.token_grid(latent, visible_idx, grid, role), dict(
            masks=masks, grid=tuple(grid))

    # --- BaseModel API --------------------------------------------------
    def loss(self, inputs: torch.Tensor,
             data_samples=None) -> Dict[str, torch.Tensor]:
        """``lambda_rec * L_rec + lambda_cls * L_cls`` (eq. 2)."""
        if not data_samples or any('gt_label' not in ds
                                   for ds in data_samples):
            raise ValueError('SupervisedMAE trains on labeled clips: every '
                             'data sample needs a gt_label (use a labeled '
                             'dataset such as DFERDataset)')
        x = self._clips(inputs)
        out = self.masked_pass(x)
        losses = self.reconstruction_losses(out['pred'], x, out['masks'])
        losses['loss_rec'] = self.lambda_rec * losses['loss_rec']
        tokens = self.token_grid(out['latent'], out['masks'].visible_idx,
                                 out['grid'], 'train')
        cls = self.cls_head.loss(tokens, data_samples)
        losses['loss_cls'] = self.lambda_cls * cls.pop('loss_cls')
        losses.update(cls)
        return losses

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Inference path on normalised clips ``[B, C, T, H, W]``: class
        logits from the visible tokens of the ``eval_masker`` (the decoder
        is not run). This is what inference costs (FLOPs)."""
        tokens, _ = self.classify(x, self.eval_masker)
        return self.cls_head(tokens)

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples=None) -> List:
        """Class probabilities (``pred_score``) from the visible tokens of
        the deterministic ``eval_masker``."""
        from mmaction.structures import ActionDataSample
        x = self._clips(inputs)
        if data_samples is None:
            data_samples = [ActionDataSample() for _ in range(x.shape[0])]
        return self.cls_head.predict_by_feat(self.logits(x), data_samples)

    def soft_mask_maps(self, inputs: torch.Tensor,
                       masker=None) -> dict:
        """The soft masks of one batch for visualisation (Fig. 3 rows 3-5):
        ``visible_idx`` ``[B, Nv]`` (None = all tokens), ``grid`` and, per
        enabled mask, ``[B, n_t, n_s]`` maps: ``class_semantic`` (``S_sem``)
        and ``class_agnostic`` (``S_agn`` averaged over channels). Uses the
        ``eval_masker`` unless ``masker`` is given."""
        x = self._clips(inputs)
        with torch.no_grad():
            tokens, info = self.classify(
                x, masker if masker is not None else self.eval_masker)
            maps = dict(grid=info['grid'], visible_idx=None)
            if info['masks'] is not None:
                maps['visible_idx'] = info['masks'].visible_idx
            soft = getattr(self.cls_head, 'soft_mask', None)
            if soft is not None and soft.class_semantic is not None:
                maps['class_semantic'] = soft.class_semantic(tokens)
            if soft is not None and soft.class_agnostic is not None:
                maps['class_agnostic'] = soft.class_agnostic(tokens).mean(-1)
        return maps
