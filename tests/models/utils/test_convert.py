"""Checkpoint conversion: official VideoMAE / MAE-DFER and mmaction2 layouts,
fabricated in the test; round trips and numerical equivalence."""
import torch

import dfertools  # noqa: F401  (compat shims before mmaction.models)
from mmaction.models.backbones.vit_mae import \
    VisionTransformer as MMAViT  # noqa: E402
from mmengine.registry import init_default_scope

from dfertools.models.utils.checkpoint_convert import (convert_state_dict,
                                                       read_state_dict,
                                                       to_mmaction,
                                                       to_official)
from dfertools.registry import MODELS
from tests.fixtures.cli import load_tool

torch.set_num_threads(1)
ARCH = dict(embed_dims=48, num_layers=2, num_heads=3)


def recognizer(backbone_type, **kw):
    init_default_scope('dfertools')
    backbone = dict(type=backbone_type, arch=ARCH, img_size=32,
                    num_frames=4, **kw)
    if backbone_type == 'LGIFormer':
        backbone['region_size'] = (1, 1, 2)
    return MODELS.build(dict(
        type='Recognizer3D', backbone=backbone,
        cls_head=dict(type='DFERHead', num_classes=7, in_channels=48))).eval()


def randomize(module):
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0, 0.1)
    return module


def official_pretrain(backbone_state):
    """VideoMAE/MAE-DFER ``modeling_pretrain`` layout, ``model`` wrapper."""
    state = {f'encoder.{k}': v.clone() for k, v in backbone_state.items()}
    state.update({
        'mask_token': torch.zeros(1, 1, 24),
        'encoder_to_decoder.weight': torch.zeros(24, 48),
        'decoder.blocks.0.norm1.weight': torch.zeros(24),
        'decoder.head.weight': torch.zeros(1536, 24),
    })
    return {'model': state}


def test_official_pretrain_videomae_and_round_trip():
    src = randomize(recognizer('VideoViT'))
    ckpt = official_pretrain(src.backbone.state_dict())
    conv = convert_state_dict(ckpt)
    assert conv.source == 'official'
    compiled = {'model': {f'_orig_mod.{k}': v
                          for k, v in ckpt['model'].items()}}
    assert convert_state_dict(compiled).backbone.keys() == \
        conv.backbone.keys()
    assert sorted(conv.dropped) == sorted(
        ['mask_token', 'encoder_to_decoder.weight',
         'decoder.blocks.0.norm1.weight', 'decoder.head.weight'])
    dst = recognizer('VideoViT')
    res = dst.backbone.load_state_dict(conv.backbone, strict=True)
    assert not res.missing_keys
    back = to_official(conv, pretrain_layout=True)
    assert set(back) == {k for k in ckpt['model'] if k.startswith('encoder.')}
    for k, v in back.items():
        assert torch.equal(v, ckpt['model'][k])


def test_official_finetuned_lgi_with_module_wrapper_and_round_trip():
    """MAE-DFER fine-tuned layout: encoder unprefixed (norm = Identity),
    ``fc_norm`` and ``head``; saved under ``module``."""
    src = randomize(recognizer('LGIFormer', final_norm=False))
    official = {}
    for k, v in src.backbone.state_dict().items():
        official[k] = v
    official['fc_norm.weight'] = src.cls_head.norm.weight.detach()
    official['fc_norm.bias'] = src.cls_head.norm.bias.detach()
    official['head.weight'] = src.cls_head.fc_cls.weight.detach()
    official['head.bias'] = src.cls_head.fc_cls.bias.detach()
    assert 'lg_region_tokens' in official
    assert 'blocks.0.third_attn_norm1.weight' in official
    conv = convert_state_dict({'module': official})
    dst = recognizer('LGIFormer', final_norm=False)
    dst.load_state_dict(conv.recognizer_state_dict(), strict=True)
    x = torch.randn(1, 1, 3, 4, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(dst(x, mode='tensor'),
                                   src(x, mode='tensor'))
    back = to_official(conv)
    assert set(back) == set(official)
    for k in official:
        assert torch.equal(back[k], official[k])


def test_mmaction_vit_converts_and_matches_numerically():
    torch.manual_seed(0)
    mma = MMAViT(img_size=32, embed_dims=48, depth=2, num_heads=3,
                 num_frames=4, use_mean_pooling=True)
    mma.init_weights()
    randomize(mma).eval()
    head = torch.nn.Linear(48, 7)
    state = {f'backbone.{k}': v for k, v in mma.state_dict().items()}
    state['cls_head.fc_cls.weight'] = head.weight.detach()
    state['cls_head.fc_cls.bias'] = head.bias.detach()
    conv = convert_state_dict({'state_dict': state, 'meta': {}})
    assert conv.source == 'mmaction'
    assert conv.dropped == ['backbone.pos_embed']
    dst = recognizer('VideoViT', final_norm=False)
    dst.load_state_dict(conv.recognizer_state_dict(), strict=True)
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        ref = head(mma(x))
        ours = dst.cls_head(dst.backbone(x))
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    back = to_mmaction(conv)
    assert set(back) == set(state) - {'backbone.pos_embed'}
    for k in back:
        assert torch.equal(back[k], state[k])


def test_cli_and_loading_as_load_from(tmp_path, capsys):
    src = randomize(recognizer('VideoViT'))
    path = tmp_path / 'videomae_pretrain.pth'
    torch.save(official_pretrain(src.backbone.state_dict()), path)
    out = tmp_path / 'converted.pth'
    tool = load_tool('tools/convert/convert_checkpoint.py')
    assert tool.main([str(path), str(out)]) == 0
    assert 'dropped 4' in capsys.readouterr().out
    ckpt = read_state_dict(str(out))
    dst = recognizer('VideoViT')
    result = dst.load_state_dict(ckpt['state_dict'], strict=False)
    assert sorted(result.missing_keys) == [
        'cls_head.fc_cls.bias', 'cls_head.fc_cls.weight',
        'cls_head.norm.bias', 'cls_head.norm.weight']
    assert not result.unexpected_keys
    for k, v in src.backbone.state_dict().items():
        assert torch.equal(dst.backbone.state_dict()[k], v)
