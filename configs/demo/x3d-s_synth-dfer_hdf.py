# HDF demo on SynthDFER (a synthetic stand-in, NOT a real dataset): a narrow
# X3D (gamma_w 0.5, gamma_b 1, gamma_d 1) with DAM after every stage and the
# DSM loss (IB-DRO SupCon + grad-norm scaler), from scratch on fold 1 of a
# 4,200-clip SynthDFER at 64x64 (the default 700 clips are too few for a
# model trained from scratch: it overfits them, docs/hdf.md), 8 frames,
# batch 16, 6 epochs. Generate the data (about 20 s) and train:
#   python tools/data/make_synthetic.py --out data/synth_dfer_4k64 \
#       --num-labeled 4200 --num-unlabeled 0 --size 64
#   PYTHONPATH=. python tools/train.py configs/demo/x3d-s_synth-dfer_hdf.py \
#       --work-dir work_dirs/demo/hdf --seed 0
# The measured result is in docs/hdf.md ("Demo on SynthDFER").
# Demo-only departures from configs/hdf (docs/hdf.md):
# inverse-sqrt-frequency class weights in CE (the set is imbalanced like
# DFEW), a single linear classifier (HDFHead mid_channels=0), no
# RandomResizedCrop / ColorJitter (the expression is a few pixels at 64x64).
_base_ = [
    '../_base_/datasets/synth_dfer.py',
    '../_base_/models/x3d-s_hdf.py',
    '../_base_/default_runtime.py',
]

demo_size = 64
data_root = 'data/synth_dfer_4k64'
# 8 frames at stride 2, decoded (decord) and resized to 64x64, flipped
data = dict(data_root=data_root, pipeline=dict(
    clip_len=8, frame_interval=2, input_size=demo_size, area_range=None,
    load=dict(backend='decord', decode_size=(demo_size, demo_size))))
train_dataloader = dict(batch_size=16, num_workers=1, dataset=data)
val_dataloader = dict(batch_size=8, num_workers=1, dataset=data)
test_dataloader = val_dataloader

# (n_c + 1)^-1/2 / mean over the fold-1 training counts of the 4,200-clip
# set [815, 595, 743, 592, 337, 47, 224] (Happy ... Fear)
class_weight = [0.585, 0.684, 0.612, 0.686, 0.909, 2.411, 1.114]
model = dict(
    backbone=dict(gamma_w=0.5, gamma_b=1.0, gamma_d=1.0),
    cls_head=dict(in_channels=128, mid_channels=0, dropout_ratio=0.0,
                  init_std=0.05,
                  loss_cls=dict(type='CrossEntropyLoss',
                                class_weight=class_weight)))

max_epochs, warmup_epochs = 6, 1
optim_wrapper = dict(
    type='GradNormOptimWrapper',  # measures g for the grad-norm scaler
    optimizer=dict(type='AdamW', lr=3e-3, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.04, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-5, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
randomness = dict(seed=0)
