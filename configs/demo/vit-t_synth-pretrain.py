# Demo: HI2M-style masked pretraining of a tiny VideoViT (192-d, 12 blocks,
# 3 heads) on the unlabeled "talking" clips of SynthDFER - HRD masker, HSM,
# appearance + motion targets - in a few minutes on 2 CPU cores.
# Generate the data first:
#   python tools/data/make_synthetic.py --out data/synth_dfer
# SynthDFER is synthetic: this shows that the pipeline runs and the loss
# falls, not what pretraining does on real faces. The checkpoint loads into
# configs/demo/vit-t_synth-dfer_finetune.py with `load_from`.
_base_ = [
    '../_base_/models/hi2m_vit-b.py',
    '../_base_/datasets/synth_dfer_pretrain.py',
    '../_base_/default_runtime.py',
]

# 16 x 112x112 clips (the dataset config) -> 8x7x7 = 392 tokens
model = dict(
    backbone=dict(arch='tiny', img_size=112, num_frames=16),
    masker=dict(num_heads=3),
    decoder=dict(embed_dims=128, num_layers=2, num_heads=4,
                 default_grid=(8, 7, 7)))

# the first 256 talking clips keep an epoch to about a minute on 2 CPUs
train_dataloader = dict(batch_size=8, num_workers=1,
                        dataset=dict(indices=256))

max_epochs, warmup_epochs = 3, 1
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
val_cfg = None
test_cfg = None
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-3, betas=(0.9, 0.95),
                   weight_decay=0.05),
    paramwise_cfg=dict(flat_decay_mult=0.0,
                       custom_keys={'mask_token': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-5, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=256)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=1, max_keep_ckpts=1))
work_dir = './work_dirs/demo/vit-t_synth-pretrain'
# a reproducible demo
randomness = dict(seed=0)
