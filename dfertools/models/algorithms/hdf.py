"""HDF recognizer: X3D + DAM features, DSM objective (HDF §4, eq. 13-17).

``L_total = lambda_CE * CE + lambda_SC * L_IB-D-SC`` (eq. 17), the lambdas
from :class:`GradNormLossScaler` (eq. 16), the contrastive loss
:class:`IBDROSupConLoss` (eq. 13-15) on the head's pooled feature.
Without ``contrastive_loss`` (HDF Table 3 "no DSM") the loss is plain CE.

``train_step`` (overrides MMEngine's; the Runner is unchanged):

* records g, the global gradient norm of ``L_total``, after the backward and
  before the optimiser step (so the next step's lambdas use it;
  docs/design.md, 'Grad-norm loss scaler');
  under AMP the gradient is unscaled by the GradScaler's scale tensor;
* ``exact`` scaler mode: the loss terms are differentiated once more with the
  previous lambdas (``torch.autograd.grad``, graph kept) to get the current g,
  then the lambdas of that g are used — one extra backward;
* if the optim wrapper has ``step_with_closure`` (:class:`SAMOptimWrapper`)
  it is given a closure re-evaluating the loss; g is then measured from the
  first (unperturbed) gradient. The lambdas are fixed once per step, before
  the first pass (after the extra backward in ``exact`` mode), and both SAM
  passes and the log use them: g recorded after the first backward belongs
  to the *next* step, as without SAM.

Everything logged (``lambda_ce``, ``lambda_sc``, ``dsm_g``, the raw CE and
contrastive values) is returned as log vars and reaches the message hub via
the Runner's hooks; the step itself makes no host sync.

Distributed training: MMEngine's ``MMDistributedDataParallel.train_step``
would bypass this method, so configs use
``model_wrapper_cfg=dict(type='HDFDistributedDataParallel')``, which calls it
with the forward routed through DDP (``forward_mode='loss_terms'``).

Test time follows mmaction's Recognizer3D: inputs [B, V, C, T, H, W],
``pred_score`` = per-view softmax (``average_clips='prob'`` on the head).
"""
from typing import Dict, Optional

import torch
from mmaction.models.recognizers import Recognizer3D
from mmengine.optim import OptimWrapper

from dfertools.registry import MODELS
from ..losses.grad_norm_scaler import global_grad_norm


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
        lam_ce, lam_sc = lambdas or self.loss_scaler.weights()
        return dict(loss_ce=lam_ce * terms['ce'], loss_sc=lam_sc * terms['sc'],
                    ce=terms['ce'].detach(),
                    ib_dro_supcon=terms['sc'].detach(),
                    lambda_ce=lam_ce.detach(), lambda_sc=lam_sc.detach(),
                    dsm_g=self.loss_scaler.g.detach().clone())

    def loss(self, inputs: torch.Tensor, data_samples, **kwargs) -> Dict:
        return self._combine(self.loss_terms(inputs, data_samples))

    def forward(self, inputs, data_samples=None, mode: str = 'tensor',
                **kwargs):
        """Adds ``mode='loss_terms'`` (unweighted CE and contrastive loss)
        to Recognizer3D's modes, so a DDP wrapper can run it."""
        if mode == 'loss_terms':
            return self.loss_terms(inputs, data_samples)
        return super().forward(inputs, data_samples, mode=mode, **kwargs)

    # ------------------------------------------------------------ steps
    def _exact_update(self, terms: Dict) -> None:
        """Scaler ``exact`` mode: g of the current step, one extra backward."""
        lam_ce, lam_sc = self.loss_scaler.weights()
        total = lam_ce * terms['ce'] + lam_sc * terms['sc']
        params = [p for p in self.parameters() if p.requires_grad]
        grads = torch.autograd.grad(total, params, retain_graph=True,
                                    allow_unused=True)
        self.loss_scaler.update(global_grad_norm(params, grads))

    def _record_grad_norm(self, optim_wrapper: OptimWrapper) -> None:
        g = global_grad_norm(self.parameters())
        grad_scaler = getattr(optim_wrapper, 'loss_scaler', None)
        scale = getattr(grad_scaler, '_scale', None)  # AMP GradScaler
        if isinstance(scale, torch.Tensor):
            g = g / scale.to(g.device).float()
        self.loss_scaler.update(g)

    def train_step(self, data, optim_wrapper: OptimWrapper,
                   wrapper: Optional[torch.nn.Module] = None) -> Dict:
        """One DSM step (see the module docstring). ``wrapper``: the DDP
        module wrapping this model; forwards then go through it."""
        outer = self if wrapper is None else wrapper
        with optim_wrapper.optim_context(outer):
            data = self.data_preprocessor(data, True)
        dsm = (self.loss_scaler is not None
               and self.contrastive_loss is not None)
        exact = dsm and self.loss_scaler.exact
        log_vars: Dict = {}
        lambdas = []   # this step's (lambda_CE, lambda_SC), set by pass 1

        def closure() -> torch.Tensor:
            first = not lambdas
            with optim_wrapper.optim_context(outer):
                terms = outer(data['inputs'], data['data_samples'],
                              mode='loss_terms')
            if first:
                if exact:
                    self._exact_update(terms)
                # fresh tensors: a later update of g does not change them
                lambdas.append(self.loss_scaler.weights() if dsm else None)
            parsed, logs = self.parse_losses(
                self._combine(terms, lambdas[0]))
            if first:
                log_vars.update(logs)
            return parsed

        record = None
        if dsm and not exact:
            def record():
                self._record_grad_norm(optim_wrapper)
        if hasattr(optim_wrapper, 'step_with_closure'):
            optim_wrapper.step_with_closure(closure,
                                            after_first_backward=record)
            return log_vars
        loss = optim_wrapper.scale_loss(closure())
        optim_wrapper.backward(loss)
        if optim_wrapper.should_update():
            if record is not None:
                record()
            optim_wrapper.step()
            optim_wrapper.zero_grad()
        return log_vars
