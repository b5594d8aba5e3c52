# VoxCeleb2 (unlabeled) for masked-video pretraining (docs/design.md,
# 'Data decisions').
# Layout and the annotation list: docs/data_preparation.md
# (tools/data/voxceleb2.py). Frames are the 224x224 face tracks; the fixed
# crop rows 0:160, cols 32:192 comes first, before any other crop.
data_root = 'data/voxceleb2'

dataset_type = 'UnlabeledVideoDataset'
ann_file_train = 'annotations/vox2_dev.txt'
# List paths are relative to data_root (dev/mp4/...), as the converter
# writes them.
data_prefix = dict(video='')
clip_len = 16
frame_interval = 4
input_size = 160
meta_keys = ('video_id', 'view_id', 'img_shape')

train_pipeline = [
    dict(type='VideoInit', backend='cv2'),
    dict(type='DFERSampleFrames', clip_len=clip_len,
         frame_interval=frame_interval),
    dict(type='VideoDecode'),
    dict(type='VoxCeleb2Crop', rows=(0, 160), cols=(32, 192),
         expected_shape=(224, 224)),
    dict(type='RandomResizedCropFlip', size=input_size,
         area_range=(0.6, 1.0), flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file=ann_file_train,
        data_prefix=data_prefix, pipeline=train_pipeline))
# Pretraining has no labels to evaluate: schedules using this file set
# val_cfg = test_cfg = None.
val_dataloader = None
test_dataloader = None
val_evaluator = None
test_evaluator = None
