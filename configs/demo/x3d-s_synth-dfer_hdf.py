# HDF demo on SynthDFER (a synthetic stand-in, NOT a real dataset): a narrow
# X3D (gamma_w 0.5, gamma_d 1) with DAM + DSM, 8 frames of 64x64, 4 epochs;
# trains in a few minutes on 2 CPU cores.
#   python tools/data/make_synthetic.py --out data/synth_dfer
#   python tools/train.py configs/demo/x3d-s_synth-dfer_hdf.py
_base_ = [
    '../_base_/datasets/synth_dfer.py',
    '../_base_/models/x3d-s_hdf.py',
    '../_base_/default_runtime.py',
]

demo_size = 64
demo_meta_keys = ('video_id', 'view_id', 'img_shape')
demo_train_pipeline = [
    dict(type='VideoInit', decode_size=(demo_size, demo_size)),
    dict(type='DFERSampleFrames', clip_len=8, frame_interval=2),
    dict(type='VideoDecode'),
    dict(type='RandomResizedCrop', area_range=(0.7, 1.0)),
    dict(type='Resize', scale=(demo_size, demo_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
         hue=0.0),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=demo_meta_keys),
]
demo_test_pipeline = [
    dict(type='VideoInit', decode_size=(demo_size, demo_size)),
    dict(type='DFERSampleFrames', clip_len=8, frame_interval=2,
         test_mode=True, num_views=2),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(demo_size, demo_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=demo_meta_keys),
]
train_dataloader = dict(batch_size=8, num_workers=1,
                        dataset=dict(pipeline=demo_train_pipeline))
val_dataloader = dict(batch_size=8, num_workers=1,
                      dataset=dict(pipeline=demo_test_pipeline))
test_dataloader = val_dataloader

model = dict(
    backbone=dict(gamma_w=0.5, gamma_b=1.0, gamma_d=1.0),
    cls_head=dict(in_channels=128, mid_channels=256, dropout_ratio=0.2))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=3, eta_min=1e-5, by_epoch=True,
         begin=1, end=4, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(logger=dict(interval=10))
randomness = dict(seed=0)
