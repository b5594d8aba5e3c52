"""Masked video pretraining: VideoMAE, MAE-DFER and HI2M in one model.

Pipeline (docs/design.md, 'The data path'): data preprocessor (normalises the
uint8 clip on the
device) -> ``backbone.embed`` -> masker -> ``backbone.encode`` on the visible
tokens -> decoder on encoded visible tokens + mask tokens -> reconstruction
loss against targets built from the *un-normalised* clip (the preprocessor's
mean/std are undone) -> optional HSM re-weighting (hi2m eq. 2-4) -> optional
HRD policy loss (hi2m eq. 7, total ``L = L_HSM + lambda L_HRD``, eq. 8).

The three methods differ only in config: VideoMAE = ViT + ``TubeMasker`` +
whole-tubelet targets; MAE-DFER = LGI-Former + ``TubeWindowMasker`` +
appearance/motion targets; HI2M = ViT + ``HRDMasker`` + appearance/motion
targets + ``HardSampleMining`` + ``HRDPolicyLoss``.

The pass is built from composable steps: :meth:`mask`,
:meth:`encode_visible` and :meth:`decode` (chained by :meth:`masked_pass`,
which also returns the encoded visible tokens) and
:meth:`reconstruction_losses`; :meth:`loss` chains them, and a subclass adds
a branch by chaining the same steps (``SupervisedMAE`` classifies the encoded
visible tokens of the same pass).

The backbone lives in the attribute ``backbone`` so a pretraining checkpoint
loads into mmaction's ``Recognizer3D`` by ``load_from`` without key surgery
(the decoder and masker keys are reported as unexpected and ignored).
"""
import inspect
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from dfertools.registry import MASKERS, MODELS
from ..losses.tubelets import unpatchify
from ..maskers.base import MaskOutput
from ..maskers.capabilities import check_policy_pairing


def _build(cfg: Union[dict, nn.Module], registry=MODELS) -> nn.Module:
    return cfg if isinstance(cfg, nn.Module) else registry.build(cfg)


def _fill_from_backbone(cfg: dict, registry, **values) -> dict:
    """Set ``cfg[key] = value`` for every ``key`` the built class takes and
    the config leaves out, so configs never restate the backbone's width or
    geometry (which could then disagree with it)."""
    cfg = dict(cfg)
    cls = cfg['type'] if inspect.isclass(cfg['type']) else registry.get(
        cfg['type'])
    if cls is None:
        return cfg
    params = inspect.signature(cls.__init__).parameters
    for key, value in values.items():
        if key not in cfg and key in params:
            cfg[key] = value
    return cfg


def backbone_geometry(backbone: nn.Module) -> dict:
    """Width, tubelet ``(pt, ph, pw)``, output channels of one tubelet
    (``pt*ph*pw*C``) and the default token grid of a token backbone."""
    embed = backbone.patch_embed
    tubelet = (embed.tubelet_size, embed.patch_size, embed.patch_size)
    return dict(embed_dims=backbone.embed_dims, tubelet_size=tubelet,
                out_channels=tubelet[0] * tubelet[1] * tubelet[2]
                * embed.proj.in_channels,
                default_grid=tuple(backbone.default_grid))


@MODELS.register_module()
class MaskedVideoPretrainer(BaseModel):
    """Masked autoencoder pretraining on video clips.

    Paper: VideoMAE, "VideoMAE: Masked Autoencoders are Data-Efficient Learners
    for Self-Supervised Video Pre-Training", the tube-masked autoencoder;
    MAE-DFER, "MAE-DFER: Efficient Masked Autoencoder for Self-supervised
    Dynamic Facial Expression Recognition", eq. 1-2; HI2M, "HI2M: Hard Inter-
    and Intra-sample Masking for Dynamic Facial Expression Recognition",
    eq. 1-8 (docs/papers.md).

    Args:
        backbone (dict): a token backbone (``VideoViT``, ``LGIFormer``).
        masker (dict): a ``MASKERS`` config; ``embed_dims`` is filled from
            the backbone when the masker takes it.
        decoder (dict): ``MAEDecoder`` config; ``in_dims``,
            ``out_channels`` (one tubelet's values) and ``default_grid``
            are filled from the backbone when left out.
        rec_loss (dict): ``MaskedReconstructionLoss`` config;
            ``tubelet_size`` is filled from the backbone when left out.
        hsm (dict, optional): ``HardSampleMining`` config.
        hrd_loss (dict, optional): ``HRDPolicyLoss`` config; needs a masker
            that returns ``log_prob`` (``provides_log_prob``), and a masker
            that ``needs_policy_loss`` needs it (checked when built).
        data_preprocessor (dict, optional): defaults to mmaction's
            ``ActionDataPreprocessor`` with ImageNet mean/std, NCTHW.
    """

    def __init__(self, backbone: dict, masker: dict, decoder: dict,
                 rec_loss: dict = dict(type='MaskedReconstructionLoss'),
                 hsm: Optional[dict] = None, hrd_loss: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg=None):
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='ActionDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                format_shape='NCTHW')
        super().__init__(data_preprocessor=_build(data_preprocessor),
                         init_cfg=init_cfg)
        self.backbone = _build(backbone)
        geo = backbone_geometry(self.backbone)
        if isinstance(masker, dict):
            masker = _fill_from_backbone(masker, MASKERS,
                                         embed_dims=geo['embed_dims'])
        self.masker = _build(masker, MASKERS)
        if isinstance(decoder, dict):
            decoder = _fill_from_backbone(
                decoder, MODELS, in_dims=geo['embed_dims'],
                out_channels=geo['out_channels'],
                default_grid=geo['default_grid'])
        self.decoder = _build(decoder)
        if isinstance(rec_loss, dict):
            rec_loss = _fill_from_backbone(rec_loss, MODELS,
                                           tubelet_size=geo['tubelet_size'])
        self.rec_loss = _build(rec_loss)
        self.hsm = _build(hsm) if hsm is not None else None
        self.hrd_loss = _build(hrd_loss) if hrd_loss is not None else None
        self._check_masker_capabilities()

    def _check_masker_capabilities(self) -> None:
        """Refuse, when the model is built, a masker whose declared
        capabilities do not fit the losses (docs/design.md, 'Masker
        capabilities')."""
        check_policy_pairing(self.masker, self.hrd_loss)

    # --- helpers --------------------------------------------------------
    @staticmethod
    def _clips(inputs: torch.Tensor) -> torch.Tensor:
        """``[B, V, C, T, H, W]`` (or ``[B, C, T, H, W]``) -> ``[B*V, C, T,
        H, W]``."""
        if inputs.dim() == 6:
            return inputs.reshape((-1, ) + inputs.shape[2:])
        if inputs.dim() != 5:
            raise ValueError('MaskedVideoPretrainer expects inputs [B, 1, C,'
                             ' T, H, W] (FormatShape NCTHW), got shape '
                             f'{tuple(inputs.shape)}')
        return inputs

    def raw_clip(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the preprocessor's normalisation (targets are built from the
        un-normalised clip; docs/design.md, 'Reconstruction targets')."""
        dp = self.data_preprocessor
        if getattr(dp, '_enable_normalize', False):
            return x.float() * dp.std + dp.mean
        return x.float()

    # --- composable steps (SupervisedMAE chains them too) ----------------
    def mask(self, tokens: torch.Tensor, grid) -> MaskOutput:
        """The training hard mask of the embedded tokens (draws from the
        masker's RNG)."""
        return self.masker(tokens, grid)

    def encode_visible(self, tokens: torch.Tensor, grid,
                       visible_idx: Optional[torch.Tensor]) -> torch.Tensor:
        """The encoder on the tokens at ``visible_idx`` ``[B, Nv]`` (None:
        every token) -> ``[B, Nv, D]``."""
        return self.backbone.encode(tokens, grid, visible_idx)

    def decode(self, latent: torch.Tensor, masks: MaskOutput,
               grid) -> torch.Tensor:
        """Decoder output at the masked tokens ``[B, Nm, out_channels]``."""
        return self.decoder(latent, masks.visible_idx, masks.masked_idx, grid)

    def masked_pass(self, x: torch.Tensor) -> dict:
        """embed -> :meth:`mask` -> :meth:`encode_visible` -> :meth:`decode`
        on normalised clips ``[B, C, T, H, W]``: ``pred``, ``masks``,
        ``grid`` and the encoded visible tokens ``latent``."""
        tokens, grid = self.backbone.embed(x)
        masks = self.mask(tokens, grid)
        latent = self.encode_visible(tokens, grid, masks.visible_idx)
        pred = self.decode(latent, masks, grid)
        return dict(pred=pred, masks=masks, grid=tuple(grid), latent=latent)

    def reconstruction_losses(self, pred: torch.Tensor, x: torch.Tensor,
                              masks: MaskOutput) -> Dict[str, torch.Tensor]:
        """Loss parts of the decoder output ``pred`` for the normalised clips
        ``x``: ``loss_rec`` (HSM-weighted when ``hsm`` is set), ``loss_hrd``
        when ``hrd_loss`` is set, and logged-only values; keys with ``loss``
        are summed by MMEngine, the others (detached) are only logged."""
        rec = self.rec_loss(pred, self.raw_clip(x), masks.masked_idx)
        losses = dict()
        if self.hsm is not None:
            losses['loss_rec'], w = self.hsm(rec['per_sample'])
            losses['rec_unweighted'] = rec['loss'].detach()
            losses['hsm_weight_std'] = w.std(unbiased=False)
        else:
            losses['loss_rec'] = rec['loss']
        if self.hrd_loss is not None:
            if masks.log_prob is None:
                raise ValueError(
                    f'hrd_loss needs a masker that returns log_prob (e.g. '
                    f'HRDMasker); {type(self.masker).__name__} does not')
            losses['loss_hrd'] = self.hrd_loss(masks.log_prob,
                                               masks.masked_idx,
                                               rec['per_token'])
        if masks.log_prob is not None:
            lp = masks.log_prob.detach()
            losses['hrd_entropy'] = -(lp.exp() * lp).sum(-1).mean()
        return losses

    # --- BaseModel API --------------------------------------------------
    def forward(self, inputs: torch.Tensor, data_samples=None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.masked_pass(self._clips(inputs))
        raise RuntimeError(f'Invalid mode {mode!r}; use loss, predict or '
                           'tensor')

    def loss(self, inputs: torch.Tensor,
             data_samples=None) -> Dict[str, torch.Tensor]:
        """:meth:`masked_pass` then :meth:`reconstruction_losses`."""
        x = self._clips(inputs)
        out = self.masked_pass(x)
        return self.reconstruction_losses(out['pred'], x, out['masks'])

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples=None) -> List:
        """Reconstructions for visualisation, one ``ActionDataSample`` per
        clip with fields:

        * ``pred_video`` ``[C, T, H, W]``: the decoder output un-patchified,
          in patch-normalised units, zero on visible tokens. With the motion
          target, frame ``2k`` holds the appearance and ``2k+1`` the motion
          of tubelet ``k``;
        * ``target_video``: the targets in the same layout (all tokens);
        * ``mask`` ``[T', H', W']`` bool (True = masked);
        * ``prob`` ``[T', H', W']``: the masker's ``P`` when it has one.
        """
        from mmaction.structures import ActionDataSample
        x = self._clips(inputs)
        out = self.masked_pass(x)
        masks, grid = out['masks'], out['grid']
        target = self.rec_loss.targets(self.raw_clip(x))
        pred = torch.zeros_like(target)
        idx = masks.masked_idx[..., None].expand(-1, -1, target.shape[-1])
        pred.scatter_(1, idx, out['pred'].to(pred.dtype))
        tub, c = self.rec_loss.tubelet_size, x.shape[1]
        pred_video = unpatchify(pred, grid, tub, c)
        target_video = unpatchify(target, grid, tub, c)
        if data_samples is None:
            data_samples = [ActionDataSample() for _ in range(x.shape[0])]
        if len(data_samples) != x.shape[0]:
            raise ValueError('predict: one data sample per clip is needed '
                             '(multi-view inputs are not supported here)')
        for i, ds in enumerate(data_samples):
            ds.set_field(pred_video[i], 'pred_video')
            ds.set_field(target_video[i], 'target_video')
            ds.set_field(masks.mask[i].view(grid), 'mask')
            if masks.log_prob is not None:
                ds.set_field(masks.log_prob[i].exp().view(grid), 'prob')
        return data_samples
