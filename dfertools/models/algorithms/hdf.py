"""HDF recognizer: X3D + DAM features, DSM objective (HDF §4, eq. 13-17).

``L_total = lambda_CE * CE + lambda_SC * L_IB-D-SC`` (eq. 17), the lambdas
from :class:`GradNormLossScaler` (eq. 16), the contrastive loss
:class:`IBDROSupConLoss` (eq. 13-15) on the head's pooled feature.
Without ``contrastive_loss`` (HDF Table 3 "no DSM") the loss is plain CE.

Training is MMEngine's: ``train_step`` computes the loss dict and the
optimiser wrapper does the update. g, the global gradient norm of
``L_total``, is measured by the wrapper after the backward and before the
optimiser step — ``GradNormOptimWrapper`` (``AmpGradNormOptimWrapper``
under AMP, where the norm is unscaled; ``SAMOptimWrapper``, where g is that
of the first, unperturbed gradient), see
``dfertools/engine/grad_norm_optim_wrapper.py`` — and used by the next step's
lambdas (docs/design.md, 'Grad-norm loss scaler'). The lambdas are fixed
once per step, at its first loss, and SAM's second pass reuses them.
``exact`` scaler mode: the first loss of a step differentiates the loss terms
once more with the previous lambdas (``torch.autograd.grad``, graph kept) to
get the current g, then uses the lambdas of that g — one extra backward.
``train_step`` only adds a check that the wrapper measures g (a plain
``OptimWrapper`` would leave g at 1); under DDP, MMEngine's stock
``MMDistributedDataParallel`` is used (g is then the norm of the all-reduced
gradient; in ``exact`` mode the extra ``torch.autograd.grad`` sees the local
one) and ``DFERRunner`` makes the same check when it builds the wrapper.

Everything logged (``lambda_ce``, ``lambda_sc``, ``dsm_g``, the raw CE and
contrastive values) is returned by ``loss`` as log-only entries; the step
itself makes no host sync.

Test time follows mmaction's Recognizer3D: inputs [B, V, C, T, H, W],
``pred_score`` = per-view softmax (``average_clips='prob'`` on the head).
"""
from typing import Dict, Optional

import torch
from mmaction.models.recognizers import Recognizer3D

from dfertools.registry import MODELS
from ..losses.grad_norm_scaler import check_grad_norm_wrapper, global_grad_norm


@MODELS.register_module()
class HDFRecognizer(Recognizer3D):
    """X3D + DAM recognizer trained with the DSM objective.

    Paper: HDF, "Learning from Heterogeneity: Generalizing Dynamic Facial
    Expression Recognition via Distributionally Robust Optimization", §4,
    eq. 13-17 (docs/papers.md).

    Args:
        backbone, cls_head, neck, train_cfg, test_cfg, data_preprocessor:
            as Recognizer3D; ``cls_head`` must provide ``forward_with_feat``
            (e.g. :class:`HDFHead`).
        contrastive_loss (dict | None): IBDROSupConLoss config; None = CE only.
        loss_scaler (dict | None): GradNormLossScaler config; None = both
            weights 1.
    """

    def __init__(self,
                 backbone: dict,
                 cls_head: dict,
                 contrastive_loss: Optional[dict] = dict(
                     type='IBDROSupConLoss'),
                 loss_scaler: Optional[dict] = dict(type='GradNormLossScaler'),
                 **kwargs) -> None:
        super().__init__(backbone=backbone, cls_head=cls_head, **kwargs)
        if not hasattr(self.cls_head, 'forward_with_feat'):
            raise TypeError(
                f'HDFRecognizer needs a head with forward_with_feat (logits '
                f'and pooled feature), got {type(self.cls_head).__name__}; '
                "use cls_head=dict(type='HDFHead', ...).")
        self.contrastive_loss = (MODELS.build(contrastive_loss)
                                 if contrastive_loss is not None else None)
        self.loss_scaler = (MODELS.build(loss_scaler)
                            if loss_scaler is not None else None)

    # ----------------------------------------------------------- losses
    def loss_terms(self, inputs: torch.Tensor, data_samples) -> Dict:
        """Unweighted CE and L_IB-D-SC of a batch."""
        feats, _ = self.extract_feat(inputs, data_samples=data_samples)
        logits, z = self.cls_head.forward_with_feat(feats)
        labels = torch.stack([s.gt_label for s in data_samples]).view(-1)
        labels = labels.to(logits.device)
        if labels.shape[0] != logits.shape[0]:
            raise ValueError(
                f'HDFRecognizer: {logits.shape[0]} clips but {labels.shape[0]}'
                ' labels; training expects one view per sample (inputs '
                '[B, 1, C, T, H, W], see docs/developer_guide.md).')
        terms = dict(ce=self.cls_head.loss_cls(logits, labels))
        if self.contrastive_loss is not None:
            terms['sc'] = self.contrastive_loss(z, labels)
        return terms

    def _combine(self, terms: Dict, lambdas=None) -> Dict:
        """eq. 17 as a loss dict (keys with 'loss' are summed by
        parse_losses; the others are only logged)."""
        if 'sc' not in terms:
            return dict(loss_cls=terms['ce'])
        if self.loss_scaler is None:
            return dict(loss_ce=terms['ce'], loss_sc=terms['sc'])
        lam_ce, lam_sc = lambdas
        return dict(loss_ce=lam_ce * terms['ce'], loss_sc=lam_sc * terms['sc'],
                    ce=terms['ce'].detach(),
                    ib_dro_supcon=terms['sc'].detach(),
                    lambda_ce=lam_ce.detach(), lambda_sc=lam_sc.detach(),
                    dsm_g=self.loss_scaler.g.detach().clone())

    def _current_grad_norm(self, terms: Dict) -> torch.Tensor:
        """Scaler ``exact`` mode: g of the current step (one extra
        backward of eq. 17 with the previous lambdas)."""
        lam_ce, lam_sc = self.loss_scaler.weights()
        total = lam_ce * terms['ce'] + lam_sc * terms['sc']
        params = [p for p in self.parameters() if p.requires_grad]
        grads = torch.autograd.grad(total, params, retain_graph=True,
                                    allow_unused=True)
        return global_grad_norm(params, grads)

    def loss(self, inputs: torch.Tensor, data_samples, **kwargs) -> Dict:
        """eq. 17 with this step's lambdas (see the module docstring)."""
        terms = self.loss_terms(inputs, data_samples)
        lambdas = None
        if 'sc' in terms and self.loss_scaler is not None:
            lambdas = self.loss_scaler.step_weights(
                measure=lambda: self._current_grad_norm(terms))
        return self._combine(terms, lambdas)

    def train_step(self, data, optim_wrapper) -> Dict:
        """MMEngine's ``BaseModel.train_step`` after checking that
        ``optim_wrapper`` measures g for the scaler."""
        check_grad_norm_wrapper(self, optim_wrapper,
                                where='HDFRecognizer.train_step: ')
        return super().train_step(data, optim_wrapper)
