# HDF on FERV39k (HDF §5.2.2): the DFEW recipe unchanged ("no
# dataset-specific hyper-parameter tuning"); FERV39k's official split,
# frame stride 1 (docs/design.md, 'Clip sampling').
_base_ = [
    '../_base_/datasets/ferv39k.py',
    '../_base_/models/x3d-s_hdf.py',
    '../_base_/schedules/hdf_adamw_100e.py',
    '../_base_/default_runtime.py',
]

# The dataset config's clip pipeline plus the authors' 0.4 colour jitter
# (brightness, contrast, saturation) in training.
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=dict(
    color_jitter=0.4)))
auto_scale_lr = dict(enable=False, base_batch_size=32)
randomness = dict(seed=0)
