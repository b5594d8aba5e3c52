"""LayerDecayOptimWrapperConstructor: lr scales and weight-decay groups."""
import pytest
import torch
from mmengine.registry import init_default_scope

from dfertools.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

torch.set_num_threads(1)


def recognizer(backbone_type, **kw):
    init_default_scope('dfertools')
    backbone = dict(type=backbone_type,
                    arch=dict(embed_dims=48, num_layers=3, num_heads=3),
                    img_size=32, num_frames=4, final_norm=False, **kw)
    if backbone_type == 'LGIFormer':
        backbone['region_size'] = (1, 1, 2)
    return MODELS.build(dict(
        type='Recognizer3D', backbone=backbone,
        cls_head=dict(type='DFERHead', num_classes=7, in_channels=48)))


def build(model, decay=0.75):
    ctor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='LayerDecayOptimWrapperConstructor',
        optim_wrapper_cfg=dict(
            type='OptimWrapper',
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05)),
        paramwise_cfg=dict(layer_decay_rate=decay)))
    return ctor(model).optimizer


def lookup(opt):
    out = {}
    for g in opt.param_groups:
        for n in g['names']:
            out[n] = (g['lr'], g['weight_decay'])
    return out


@pytest.mark.parametrize('backbone', ['VideoViT', 'LGIFormer'])
def test_layer_scales(backbone):
    model = recognizer(backbone)
    groups = lookup(build(model))
    d, L = 0.75, 3
    expect = {
        'backbone.patch_embed.proj.weight': (1e-3 * d**(L + 1), 0.05),
        'backbone.patch_embed.proj.bias': (1e-3 * d**(L + 1), 0.),
        'cls_head.fc_cls.weight': (1e-3, 0.05),
        'cls_head.fc_cls.bias': (1e-3, 0.),
        'cls_head.norm.weight': (1e-3, 0.),
    }
    for i in range(L):
        blk = f'backbone.blocks.{i}.'
        if backbone == 'VideoViT':
            expect[blk + 'attn.qkv.weight'] = (1e-3 * d**(L - i), 0.05)
            expect[blk + 'attn.q_bias'] = (1e-3 * d**(L - i), 0.)
            expect[blk + 'norm1.weight'] = (1e-3 * d**(L - i), 0.)
        else:
            expect[blk + 'third_attn.kv.weight'] = (1e-3 * d**(L - i), 0.05)
            expect[blk + 'first_attn.v_bias'] = (1e-3 * d**(L - i), 0.)
    if backbone == 'LGIFormer':
        expect['backbone.lg_region_tokens'] = (1e-3, 0.)
    for name, (lr, wd) in expect.items():
        assert groups[name][0] == pytest.approx(lr), name
        assert groups[name][1] == wd, name
    # every trainable parameter is in exactly one group
    n = sum(len(g['params']) for g in build(model).param_groups)
    assert n == len([p for p in model.parameters() if p.requires_grad])


def test_frozen_backbone_only_head_trains():
    model = recognizer('VideoViT', frozen=True)
    model.train()
    assert not model.backbone.training
    groups = lookup(build(model))
    assert set(groups) == {'cls_head.norm.weight', 'cls_head.norm.bias',
                           'cls_head.fc_cls.weight', 'cls_head.fc_cls.bias'}


def test_backbone_without_layer_depth_is_rejected():
    init_default_scope('dfertools')
    model = MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(type='X3D', gamma_w=1, gamma_b=2.25, gamma_d=0.5),
        cls_head=dict(type='X3DHead', num_classes=7, in_channels=432)))
    with pytest.raises(TypeError, match='get_layer_depth'):
        build(model)
