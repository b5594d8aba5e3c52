# Demo: fine-tune a small VideoViT (192-d like ViT-T, 4 blocks, 3 heads)
# from scratch on SynthDFER fold 1 - 8-frame clips of 112x112 (4x7x7 tokens),
# 2 epochs: a couple of minutes on 2 CPU cores. Generate the data first
# (see configs/_base_/datasets/synth_dfer.py). SynthDFER is synthetic: the
# numbers show that the pipeline works, not how a model does on real faces.
_base_ = [
    '../_base_/datasets/synth_dfer.py', '../_base_/default_runtime.py'
]
clip_len = 8
frame_interval = 2
num_classes = 7
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VideoViT',
        arch=dict(embed_dims=192, num_layers=4, num_heads=3),
        img_size=112, num_frames=clip_len, drop_path_rate=0.,
        final_norm=False, out_type='tokens'),
    cls_head=dict(
        type='DFERHead', num_classes=num_classes, in_channels=192,
        label_smooth_eps=0.1, average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
        blending=dict(type='RandomBatchAugment', augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)
        ])))

train_pipeline = [
    dict(type='VideoInit', backend='cv2'),
    dict(type='DFERSampleFrames', clip_len=clip_len,
         frame_interval=frame_interval),
    dict(type='VideoDecode'),
    dict(type='RandomResizedCrop', area_range=(0.7, 1.0)),
    dict(type='Resize', scale=(112, 112), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('video_id', 'view_id')),
]
test_pipeline = [
    dict(type='VideoInit', backend='cv2'),
    dict(type='DFERSampleFrames', clip_len=clip_len,
         frame_interval=frame_interval, test_mode=True, num_views=2),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(112, 112), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('video_id', 'view_id')),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 2
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
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min_ratio=1e-2,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=256)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=1, max_keep_ckpts=1))
load_from = None
