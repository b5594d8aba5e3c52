# The demo's SynthDFER (NOT a real dataset): 4,200 labeled clips in 5
# folds plus a 3,000-clip unlabeled pool of other people (natural
# expressions, labels withheld, talking), generated at 64x64 by
#   python tools/data/make_synthetic.py --out data/synth_dfer_demo \
#       --num-labeled 4200 --num-unlabeled 3000 --size 64
# (tools/demo.sh does this). Clips are decoded at 46x46, the central 32x32
# (70 %: the face, as DFER datasets crop it) is the model input, 8 frames
# at stride 2. Decoded clips stay in memory (VideoInit cache_mb) and load in
# one thread, so every epoch after the first costs no decoding.
data_root = 'data/synth_dfer_demo'
dataset_name = 'synth_dfer'
fold = 1
clip_len, frame_interval, size = 8, 2, 32
num_test_views = 2
meta_keys = ('video_id', 'view_id', 'img_shape')
video_init = dict(type='VideoInit', backend='cv2', decode_size=(46, 46),
                  cache_mb=2048)

train_pipeline = [
    video_init,
    dict(type='DFERSampleFrames', clip_len=clip_len,
         frame_interval=frame_interval),
    dict(type='VideoDecode'),
    dict(type='CenterCrop', crop_size=36),
    dict(type='RandomResizedCropFlip', size=size, area_range=(0.8, 1.0),
         flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
test_pipeline = [
    video_init,
    dict(type='DFERSampleFrames', clip_len=clip_len,
         frame_interval=frame_interval, test_mode=True,
         num_views=num_test_views),
    dict(type='VideoDecode'),
    dict(type='CenterCrop', crop_size=size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
loader = dict(batch_size=32, num_workers=1, worker_type='thread',
              persistent_workers=True)
train_dataloader = dict(
    loader, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='DFERDataset', dataset_name=dataset_name,
                 data_root=data_root, fold=fold,
                 ann_file='annotations/train_{fold}.txt',
                 pipeline=train_pipeline))
val_dataloader = dict(
    loader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DFERDataset', dataset_name=dataset_name,
                 data_root=data_root, fold=fold,
                 ann_file='annotations/test_{fold}.txt',
                 num_views=num_test_views, test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DFERMetric')
test_evaluator = val_evaluator
