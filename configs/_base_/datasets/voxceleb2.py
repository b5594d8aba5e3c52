# VoxCeleb2 (unlabeled) for masked-video pretraining (docs/design.md,
# 'Data decisions').
# Layout and the annotation list: docs/data_preparation.md
# (tools/data/voxceleb2.py). List paths are relative to data_root
# (dev/mp4/...), as the converter writes them.

# The clip pipeline (dfertools/datasets/clip_pipeline.py): 16 frames at
# stride 4 of the 224x224 face tracks; the fixed crop rows 0:160,
# cols 32:192 comes first, then a random resized crop of 60-100 % of the
# area to 160x160 and a flip.
clip_pipeline = dict(
    type='DFERClipPipeline', clip_len=16, frame_interval=4, input_size=160,
    frame_crop=dict(type='VoxCeleb2Crop', rows=(0, 160), cols=(32, 192),
                    expected_shape=(224, 224)),
    resize=None, area_range=(0.6, 1.0), flip_ratio=0.5)
train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='UnlabeledVideoDataset', data_root='data/voxceleb2',
        ann_file='annotations/vox2_dev.txt', data_prefix=dict(video=''),
        pipeline=clip_pipeline))
# Pretraining has no labels to evaluate: schedules using this file set
# val_cfg = test_cfg = None.
val_dataloader = None
test_dataloader = None
val_evaluator = None
test_evaluator = None
