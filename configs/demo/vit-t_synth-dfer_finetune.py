# Demo: fine-tune a tiny VideoViT (192-d, 12 blocks, 3 heads) from scratch on
# SynthDFER, small enough for a couple of minutes on 2 CPU cores. Generate
# the data first (tools/data/make_synthetic.py, see the dataset config).
# SynthDFER is synthetic: the numbers show that the pipeline works, not how
# a model does on real faces.
_base_ = [
    '../_base_/models/vit-b_dfer.py', '../_base_/datasets/synth_dfer.py',
    '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(arch='tiny', drop_path_rate=0., use_sdpa=True),
    cls_head=dict(in_channels=192, label_smooth_eps=0.1))
max_epochs = 3
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.75))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=256)
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(interval=1, max_keep_ckpts=1))
load_from = None
