# HDF on DFEW fold 1 (HDF §5.1.3): X3D-S + DAM after each stage, DSM
# (IB-DRO SupCon + grad-norm loss scaler), 16 frames of 160x160, random crop,
# flip and 0.4 colour jitter; AdamW lr 5e-4 (min 5e-6), wd 0.05, 100 epochs
# with 20 of warm-up. Other folds: --cfg-options
# train_dataloader.dataset.fold=K val_dataloader.dataset.fold=K
# test_dataloader.dataset.fold=K
# Kinetics X3D-S weights: --cfg-options model.backbone.checkpoint=PATH
# SAM (the authors' script): --cfg-options optim_wrapper.type=SAMOptimWrapper
# optim_wrapper.rho=0.05
_base_ = [
    '../_base_/datasets/dfew.py',
    '../_base_/models/x3d-s_hdf.py',
    '../_base_/schedules/hdf_adamw_100e.py',
    '../_base_/default_runtime.py',
]

hdf_train_pipeline = [
    dict(type='VideoInit', backend='cv2'),
    dict(type='DFERSampleFrames', clip_len=16, frame_interval=4),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, 160)),
    dict(type='RandomResizedCrop', area_range=(0.6, 1.0)),
    dict(type='Resize', scale=(160, 160), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
         hue=0.0),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('video_id', 'view_id',
                                             'img_shape')),
]
train_dataloader = dict(batch_size=32,
                        dataset=dict(pipeline=hdf_train_pipeline))
auto_scale_lr = dict(enable=False, base_batch_size=32)
randomness = dict(seed=0)
