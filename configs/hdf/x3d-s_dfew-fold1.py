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

# The dataset config's clip pipeline plus the authors' 0.4 colour jitter
# (brightness, contrast, saturation) in training.
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=dict(
    color_jitter=0.4)))
auto_scale_lr = dict(enable=False, base_batch_size=32)
randomness = dict(seed=0)
