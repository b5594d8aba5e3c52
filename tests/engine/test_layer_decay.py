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


class _Clips(torch.utils.data.Dataset):
    """In-memory labeled clips packed like the DFER pipeline's output."""

    def __init__(self, n=4):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        from mmaction.structures import ActionDataSample
        g = torch.Generator().manual_seed(i)
        x = torch.randint(0, 255, (1, 3, 4, 32, 32), generator=g,
                          dtype=torch.uint8)
        s = ActionDataSample().set_gt_label(torch.tensor([i % 7]))
        s.set_metainfo(dict(video_id=f'v{i}', view_id=0))
        return dict(inputs=x, data_samples=s)


def test_runner_trains_with_layer_decay_schedule_and_mixup(tmp_path):
    """Two epochs through mmengine's Runner: the per-group lr ratios survive
    LinearLR warm-up and cosine decay; auto_scale_lr scales the base lr."""
    from mmengine.runner import Runner
    init_default_scope('dfertools')
    loader = dict(dataset=_Clips(), batch_size=2, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=True),
                  collate_fn=dict(type='pseudo_collate'))
    model = dict(
        type='Recognizer3D',
        backbone=dict(type='VideoViT',
                      arch=dict(embed_dims=48, num_layers=2, num_heads=3),
                      img_size=32, num_frames=4, drop_path_rate=0.1,
                      final_norm=False),
        cls_head=dict(type='DFERHead', num_classes=7, in_channels=48,
                      label_smooth_eps=0.1),
        data_preprocessor=dict(
            type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], format_shape='NCTHW',
            blending=dict(type='RandomBatchAugment', augments=[
                dict(type='MixupBlending', alpha=0.8, num_classes=7),
                dict(type='CutmixBlending', alpha=1.0, num_classes=7)])))
    runner = Runner(
        model=model, work_dir=str(tmp_path), train_dataloader=loader,
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2),
        optim_wrapper=dict(
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
            constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.75)),
        param_scheduler=[
            dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
                 end=1, convert_to_iter_based=True),
            dict(type='CosineAnnealingLR', T_max=1, eta_min_ratio=1e-3,
                 by_epoch=True,
                 begin=1, end=2, convert_to_iter_based=True)],
        auto_scale_lr=dict(enable=True, base_batch_size=256),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=10)),
        default_scope='dfertools', experiment_name='ld')
    runner.train()
    groups = runner.optim_wrapper.optimizer.param_groups
    head = [g for g in groups if g['lr_scale'] == 1.0][0]
    embed = [g for g in groups if g['layer_id'] == 0][0]
    assert embed['initial_lr'] == pytest.approx(1e-3 * 2 / 256 * 0.75**3)
    assert head['initial_lr'] == pytest.approx(1e-3 * 2 / 256)
    assert head['lr'] < head['initial_lr']  # the schedule ran
    assert embed['lr'] / head['lr'] == pytest.approx(0.75**3)
