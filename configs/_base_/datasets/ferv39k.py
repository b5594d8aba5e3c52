# FERV39k: 7 classes (DFEW order), one official train/test split
# (docs/design.md, 'Data decisions').
# Layout and annotation files: docs/data_preparation.md (tools/data/ferv39k.py).
data_root = 'data/ferv39k'

dataset_type = 'DFERDataset'
dataset_name = 'ferv39k'
fold = None  # one official split
ann_file_train = 'annotations/train.txt'
ann_file_test = 'annotations/test.txt'
# The converter writes list paths relative to data_root (the release
# root), so data_prefix stays empty.
data_prefix = dict(video='')
clip_len = 16
frame_interval = 1
input_size = 160
num_test_views = 2
meta_keys = ('video_id', 'view_id', 'img_shape')

train_pipeline = [
    dict(type='VideoInit', backend='cv2'),
    dict(type='DFERSampleFrames', clip_len=clip_len,
         frame_interval=frame_interval),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, input_size)),
    dict(type='RandomResizedCropFlip', size=input_size,
         area_range=(0.6, 1.0), flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='VideoInit', backend='cv2'),
    dict(type='DFERSampleFrames', clip_len=clip_len,
         frame_interval=frame_interval, test_mode=True,
         num_views=num_test_views),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, input_size)),
    dict(type='CenterCrop', crop_size=input_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, dataset_name=dataset_name, data_root=data_root,
        ann_file=ann_file_train, data_prefix=data_prefix, fold=fold,
        pipeline=train_pipeline))
# FERV39k has no validation split: validation monitors the test split; the
# reported checkpoint is the last one, never the best on test
# (docs/design.md, 'Model selection').
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, dataset_name=dataset_name, data_root=data_root,
        ann_file=ann_file_test, data_prefix=data_prefix, fold=fold,
        num_views=num_test_views, pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='DFERMetric')
test_evaluator = val_evaluator
