# SynthDFER unlabeled pool (natural expressions, labels withheld, talking)
# for masked-video pretraining demos (NOT a real dataset). Generate:
# python tools/data/make_synthetic.py --out data/synth_dfer
data_root = 'data/synth_dfer'

dataset_type = 'UnlabeledVideoDataset'
ann_file_train = 'annotations/unlabeled.txt'
data_prefix = dict(video='')
clip_len = 16
frame_interval = 1
input_size = 112
meta_keys = ('video_id', 'view_id', 'img_shape')

train_pipeline = [
    dict(type='VideoInit', backend='cv2'),
    dict(type='DFERSampleFrames', clip_len=clip_len,
         frame_interval=frame_interval),
    dict(type='VideoDecode'),
    dict(type='RandomResizedCropFlip', size=input_size,
         area_range=(0.7, 1.0), flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file=ann_file_train,
        data_prefix=data_prefix, pipeline=train_pipeline))
# Pretraining has no labels to evaluate: set val_cfg = test_cfg = None.
val_dataloader = None
test_dataloader = None
val_evaluator = None
test_evaluator = None
