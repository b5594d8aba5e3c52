# DFEW: 7 classes, 5-fold cross-validation (docs/design.md,
# 'Data decisions').
# Layout and annotation files: docs/data_preparation.md (tools/data/dfew.py).
# Select the fold with --cfg-options train_dataloader.dataset.fold=K
# val_dataloader.dataset.fold=K test_dataloader.dataset.fold=K

# One clip pipeline for training and test (DFERClipPipeline,
# dfertools/datasets/clip_pipeline.py): 16 frames at stride 4, shorter side
# resized to 160; training takes a random resized crop of 60-100 % of the
# area and a flip, test a centre crop of each of the 2 temporal views.
# A child config changes a number by merging, e.g.
#   train_dataloader = dict(dataset=dict(pipeline=dict(input_size=224)))
clip_pipeline = dict(type='DFERClipPipeline', clip_len=16, frame_interval=4,
                     input_size=160, resize='short', area_range=(0.6, 1.0),
                     flip_ratio=0.5)
# The converter writes list paths relative to data_root (the release
# root), so data_prefix stays empty.
dataset_common = dict(type='DFERDataset', dataset_name='dfew',
                      data_root='data/dfew', data_prefix=dict(video=''),
                      fold=1, pipeline=clip_pipeline)
loader_common = dict(batch_size=8, num_workers=4, persistent_workers=True)

train_dataloader = dict(
    loader_common, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(dataset_common, ann_file='annotations/train_{fold}.txt'))
# DFEW has no validation split: validation monitors the test fold; the
# reported checkpoint is the last one, never the best on test
# (docs/design.md, 'Model selection').
val_dataloader = dict(
    loader_common, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(dataset_common, ann_file='annotations/test_{fold}.txt',
                 num_views=2, test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='DFERMetric')
test_evaluator = val_evaluator
