"""Convert VideoMAE / MAE-DFER / mmaction2 checkpoints to dfertools keys.

Source layouts (key names checked against MCG-NJU/VideoMAE,
sunlicai/MAE-DFER and mmaction2 1.2.0 ``VisionTransformer``):

* ``official`` - VideoMAE and MAE-DFER (``modeling_pretrain.py`` /
  ``modeling_finetune.py``), usually wrapped in ``model`` or ``module``.
  Pretraining checkpoints prefix the encoder with ``encoder.`` and hold
  ``decoder.*``, ``encoder_to_decoder.*`` and ``mask_token`` (dropped here);
  fine-tuned checkpoints hold the encoder unprefixed plus ``fc_norm`` and
  ``head`` (mapped to the ``DFERHead``'s ``norm`` and ``fc_cls``). With
  ``keep_decoder=True`` the pretraining decoder is kept under
  ``MaskedVideoPretrainer``'s names instead (:data:`DECODER_RENAMES`), so
  pretraining can continue from an official checkpoint. Encoder
  keys - ``patch_embed.proj``, ``blocks.N.attn.{qkv,q_bias,v_bias,proj}``,
  LGI ``blocks.N.{first,second,third}_attn*``, ``lg_region_tokens``,
  ``norm`` - already are dfertools' names: our layers keep that layout.
* ``mmaction`` - mmaction2's ``Recognizer3D`` with ``VisionTransformer``:
  ``backbone.patch_embed.projection``, ``mlp.layers.0.0`` / ``mlp.layers.1``
  (mmcv FFN), a persistent ``backbone.pos_embed`` buffer (dropped: ours is
  computed), ``backbone.fc_norm`` and ``cls_head.fc_cls``.
* ``dfertools`` - our own recognizer (``backbone.*``, ``cls_head.*``) or a
  bare backbone state dict.

:func:`load_pretrained_backbone` reads a file (``weights_only=True``),
converts it and loads the backbone part, logging missing and unexpected keys.
"""
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import torch

# official VideoMAE/MAE-DFER keys that are not part of the encoder
_OFFICIAL_NON_ENCODER = ('decoder.', 'encoder_to_decoder.', 'mask_token',
                         'pos_embed')
_WRAPPER_KEYS = ('state_dict', 'model', 'module', 'model_ema')
# official VideoMAE pretraining names -> MaskedVideoPretrainer's MAEDecoder
# (``encoder_to_decoder`` is the bias-free Linear our decoder calls
# ``proj``; the sinusoid ``pos_embed`` is computed, never loaded)
DECODER_RENAMES = [
    (re.compile(r'^encoder_to_decoder\.'), 'decoder.proj.'),
    (re.compile(r'^mask_token$'), 'decoder.mask_token'),
    (re.compile(r'^decoder\.((blocks\.\d+|norm|head)\..*)$'), r'decoder.\1'),
]
_MMA_RENAMES = [
    (re.compile(r'^patch_embed\.projection\.'), 'patch_embed.proj.'),
    (re.compile(r'\.mlp\.layers\.0\.0\.'), '.mlp.fc1.'),
    (re.compile(r'\.mlp\.layers\.1\.'), '.mlp.fc2.'),
]


@dataclass
class ConvertedCheckpoint:
    """The result of :func:`convert_state_dict`."""
    source: str
    backbone: Dict[str, torch.Tensor] = field(default_factory=dict)
    head: Dict[str, torch.Tensor] = field(default_factory=dict)
    decoder: Dict[str, torch.Tensor] = field(default_factory=dict)
    dropped: List[str] = field(default_factory=list)

    def recognizer_state_dict(self) -> Dict[str, torch.Tensor]:
        """Keys of a dfertools ``Recognizer3D`` (``backbone.``,
        ``cls_head.``)."""
        out = {f'backbone.{k}': v for k, v in self.backbone.items()}
        out.update({f'cls_head.{k}': v for k, v in self.head.items()})
        return out

    def pretrainer_state_dict(self) -> Dict[str, torch.Tensor]:
        """Keys of a dfertools ``MaskedVideoPretrainer`` (``backbone.``,
        ``decoder.``); needs ``keep_decoder=True`` at conversion."""
        if not self.decoder:
            raise ValueError(
                'this checkpoint holds no pretraining decoder (it is a '
                'fine-tuned or encoder-only checkpoint, or was converted '
                'without keep_decoder); it can initialise a backbone only.')
        out = {f'backbone.{k}': v for k, v in self.backbone.items()}
        out.update({f'decoder.{k}': v for k, v in self.decoder.items()})
        return out


def unwrap_state_dict(obj) -> Dict[str, torch.Tensor]:
    """Strip ``state_dict`` / ``model`` / ``module`` wrappers and a leading
    ``module.`` (DDP) or ``_orig_mod.`` (torch.compile, VideoMAE V2) from
    every key."""
    while isinstance(obj, dict):
        inner = next((obj[k] for k in _WRAPPER_KEYS
                      if isinstance(obj.get(k), dict)), None)
        if inner is None:
            break
        obj = inner
    if not isinstance(obj, dict) or not all(
            isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError('checkpoint holds no state dict of tensors (looked '
                         f'inside {_WRAPPER_KEYS}).')
    for wrapper in ('module.', '_orig_mod.'):  # DDP, torch.compile
        if obj and all(k.startswith(wrapper) for k in obj):
            obj = {k[len(wrapper):]: v for k, v in obj.items()}
    return dict(obj)


def detect_source(state: Dict[str, torch.Tensor]) -> str:
    keys = list(state)
    if any(k.startswith('backbone.') for k in keys):
        if any('patch_embed.projection' in k or '.mlp.layers.' in k
               for k in keys):
            return 'mmaction'
        return 'dfertools'
    if any(k.startswith(('encoder.', 'fc_norm.', 'head.')) for k in keys) \
            or 'mask_token' in keys:
        return 'official'
    if any(k.startswith('patch_embed.proj.') for k in keys):
        return 'dfertools'  # a bare backbone (== official fine-tuned encoder)
    raise ValueError(
        'cannot recognise the checkpoint layout: expected official '
        'VideoMAE/MAE-DFER keys (encoder.*, blocks.*, fc_norm, head), '
        'mmaction2 keys (backbone.patch_embed.projection) or dfertools keys '
        f'(backbone.*); first keys: {keys[:5]}')


def _official_decoder_key(key: str) -> Optional[str]:
    """Our ``MaskedVideoPretrainer`` name of an official pretraining key
    outside the encoder, or ``None``."""
    for pat, rep in DECODER_RENAMES:
        if pat.match(key):
            return pat.sub(rep, key)
    return None


def _from_official(state, out: ConvertedCheckpoint,
                   keep_decoder: bool = False) -> None:
    pretrain = any(k.startswith('encoder.') for k in state)
    if keep_decoder and not pretrain:
        raise ValueError(
            'keep_decoder: this official checkpoint has no encoder./decoder. '
            'keys, i.e. it is a fine-tuned model, not a pretraining one; '
            'convert it without keep_decoder.')
    unknown = []
    for k, v in state.items():
        if pretrain:
            name = k[len('encoder.'):] if k.startswith('encoder.') else None
            ours = None if name is not None or not keep_decoder \
                else _official_decoder_key(k)
            if name is not None and not name.startswith(('head.',
                                                         'pos_embed')):
                out.backbone[name] = v
            elif ours is not None:
                out.decoder[ours[len('decoder.'):]] = v
            else:
                out.dropped.append(k)
                if keep_decoder and k != 'pos_embed' \
                        and not k.startswith('encoder.'):
                    unknown.append(k)
        elif k.startswith('fc_norm.'):
            out.head['norm.' + k[len('fc_norm.'):]] = v
        elif k.startswith('head.'):
            out.head['fc_cls.' + k[len('head.'):]] = v
        elif k.startswith(_OFFICIAL_NON_ENCODER):
            out.dropped.append(k)
        else:
            out.backbone[k] = v
    if unknown:
        raise ValueError(
            f'keep_decoder: no MaskedVideoPretrainer name for {unknown[:5]} '
            '(known: encoder_to_decoder, mask_token, decoder.blocks.N, '
            'decoder.norm, decoder.head); convert without keep_decoder to '
            'keep only the encoder.')


def _from_mmaction(state, out: ConvertedCheckpoint) -> None:
    for k, v in state.items():
        if k.startswith('backbone.'):
            name = k[len('backbone.'):]
            if name == 'pos_embed':
                out.dropped.append(k)
                continue
            if name.startswith('fc_norm.'):
                out.head['norm.' + name[len('fc_norm.'):]] = v
                continue
            for pat, rep in _MMA_RENAMES:
                name = pat.sub(rep, name)
            out.backbone[name] = v
        elif k.startswith('cls_head.'):
            out.head[k[len('cls_head.'):]] = v
        else:
            out.dropped.append(k)


def _from_dfertools(state, out: ConvertedCheckpoint) -> None:
    prefixed = any(k.startswith('backbone.') for k in state)
    for k, v in state.items():
        if not prefixed:
            out.backbone[k] = v
        elif k.startswith('backbone.'):
            out.backbone[k[len('backbone.'):]] = v
        elif k.startswith('cls_head.'):
            out.head[k[len('cls_head.'):]] = v
        else:
            out.dropped.append(k)


_CONVERTERS = dict(official=_from_official, mmaction=_from_mmaction,
                   dfertools=_from_dfertools)


def convert_state_dict(obj, source: str = 'auto',
                       keep_decoder: bool = False) -> ConvertedCheckpoint:
    """Convert a loaded checkpoint (any wrapper) to dfertools keys.

    ``source``: 'auto' | 'official' | 'mmaction' | 'dfertools'.
    ``keep_decoder``: keep an official pretraining checkpoint's decoder,
    ``encoder_to_decoder`` and ``mask_token`` (``ConvertedCheckpoint.decoder``,
    our ``MAEDecoder`` names); only for the ``official`` layout.
    """
    state = unwrap_state_dict(obj)
    if source == 'auto':
        source = detect_source(state)
    if source not in _CONVERTERS:
        raise ValueError(f'unknown checkpoint source {source!r}; choose '
                         f"'auto' or one of {sorted(_CONVERTERS)}.")
    out = ConvertedCheckpoint(source=source)
    if keep_decoder:
        if source != 'official':
            raise ValueError('keep_decoder applies to official VideoMAE / '
                             f'MAE-DFER pretraining checkpoints, not to the '
                             f'{source!r} layout.')
        _from_official(state, out, keep_decoder=True)
    else:
        _CONVERTERS[source](state, out)
    return out


def training_record(obj) -> dict:
    """``epoch`` and ``args`` (as a dict) of a VideoMAE / MAE-DFER
    training checkpoint, for the converted file's ``meta``; ``{}`` for other
    files."""
    import argparse
    record = {}
    if isinstance(obj, dict):
        if isinstance(obj.get('epoch'), int):
            record['official_epoch'] = obj['epoch']
        if isinstance(obj.get('args'), argparse.Namespace):
            record['official_args'] = dict(vars(obj['args']))
    return record


def to_official(conv: ConvertedCheckpoint,
                pretrain_layout: bool = False) -> Dict[str, torch.Tensor]:
    """dfertools keys -> official VideoMAE/MAE-DFER keys (the inverse of
    :func:`convert_state_dict` up to dropped keys)."""
    if pretrain_layout:
        return {f'encoder.{k}': v for k, v in conv.backbone.items()}
    out = dict(conv.backbone)
    for k, v in conv.head.items():
        if k.startswith('norm.'):
            out['fc_norm.' + k[len('norm.'):]] = v
        elif k.startswith('fc_cls.'):
            out['head.' + k[len('fc_cls.'):]] = v
    return out


def to_mmaction(conv: ConvertedCheckpoint) -> Dict[str, torch.Tensor]:
    """dfertools keys -> mmaction2 ``VisionTransformer`` recognizer keys
    (without the ``pos_embed`` buffer, which mmaction recomputes)."""
    out = {}
    for k, v in conv.backbone.items():
        name = re.sub(r'^patch_embed\.proj\.', 'patch_embed.projection.', k)
        name = re.sub(r'\.mlp\.fc1\.', '.mlp.layers.0.0.', name)
        name = re.sub(r'\.mlp\.fc2\.', '.mlp.layers.1.', name)
        out['backbone.' + name] = v
    for k, v in conv.head.items():
        if k.startswith('norm.'):
            out['backbone.fc_norm.' + k[len('norm.'):]] = v
        else:
            out['cls_head.' + k] = v
    return out


def read_state_dict(path: str) -> dict:
    """Load ``path`` through :func:`dfertools.utils.checkpoint.safe_load`
    (``weights_only=True``, never off)."""
    from dfertools.utils.checkpoint import safe_load
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path!r} does not exist; fix '
                                'the `pretrained` / `load_from` path.')
    return safe_load(path)


def load_pretrained_backbone(module: torch.nn.Module, path: str,
                             source: str = 'auto',
                             logger: Optional[object] = None):
    """Load the backbone part of checkpoint ``path`` into ``module``.

    Logs missing and unexpected keys (and what the conversion dropped) as a
    warning; raises if no key of the checkpoint matches the module.
    Returns ``torch.nn.modules.module._IncompatibleKeys``.
    """
    from mmengine.logging import print_log
    conv = convert_state_dict(read_state_dict(path), source)
    own = module.state_dict()
    shape_bad = [
        k for k, v in conv.backbone.items()
        if k in own and tuple(own[k].shape) != tuple(v.shape)
    ]
    if shape_bad:
        raise ValueError(
            f'{path}: shape mismatch for {shape_bad[:5]} (checkpoint vs '
            f'{type(module).__name__}); check the backbone arch in the '
            'config.')
    if not set(conv.backbone) & set(own):
        raise ValueError(
            f'{path}: none of its {len(conv.backbone)} backbone keys (source '
            f'{conv.source!r}) match {type(module).__name__}; is it a '
            'checkpoint of this architecture?')
    result = module.load_state_dict(conv.backbone, strict=False)
    print_log(
        f'loaded {path} ({conv.source} layout) into '
        f'{type(module).__name__}: missing keys {list(result.missing_keys)},'
        f' unexpected keys {list(result.unexpected_keys)}, dropped '
        f'{conv.dropped}', logger=logger or 'current',
        level=30 if (result.missing_keys or result.unexpected_keys) else 20)
    return result
