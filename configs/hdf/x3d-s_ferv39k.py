# HDF on FERV39k (HDF §5.2.2): the DFEW recipe unchanged ("no
# dataset-specific hyper-parameter tuning"); FERV39k's official split,
# frame stride 1 (docs/design.md, 'Clip sampling').
_base_ = [
    '../_base_/datasets/ferv39k.py',
    '../_base_/models/x3d-s_hdf.py',
    '../_base_/schedules/hdf_adamw_100e.py',
    '../_base_/default_runtime.py',
]

hdf_train_pipeline = [
    dict(type='VideoInit', backend='cv2'),
    dict(type='DFERSampleFrames', clip_len=16, frame_interval=1),
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
