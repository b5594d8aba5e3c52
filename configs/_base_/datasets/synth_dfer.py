# SynthDFER: the synthetic stand-in for DFEW (NOT a real dataset;
# docs/design.md, 'SynthDFER').
# Generate it with: python tools/data/make_synthetic.py --out data/synth_dfer
# Native size 112x112, clips of 16-32 frames; DFEW classes; 5 folds.
# Select the fold with --cfg-options train_dataloader.dataset.fold=K
# val_dataloader.dataset.fold=K test_dataloader.dataset.fold=K

# The clip pipeline (dfertools/datasets/clip_pipeline.py): 16 consecutive
# frames resized to 112x112 (a no-op at the native size); training takes a
# random resized crop of 70-100 % of the area and a flip; 2 test views.
clip_pipeline = dict(type='DFERClipPipeline', clip_len=16, frame_interval=1,
                     input_size=112, resize='square', area_range=(0.7, 1.0),
                     flip_ratio=0.5)
dataset_common = dict(type='DFERDataset', dataset_name='synth_dfer',
                      data_root='data/synth_dfer', data_prefix=dict(video=''),
                      fold=1, pipeline=clip_pipeline)
loader_common = dict(batch_size=8, num_workers=2, persistent_workers=True)

train_dataloader = dict(
    loader_common, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(dataset_common, ann_file='annotations/train_{fold}.txt'))
# Validation monitors the test fold; the reported checkpoint is the last one.
val_dataloader = dict(
    loader_common, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(dataset_common, ann_file='annotations/test_{fold}.txt',
                 num_views=2, test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='DFERMetric')
test_evaluator = val_evaluator
