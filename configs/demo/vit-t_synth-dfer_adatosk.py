# Demo: AdaTosk (SupervisedMAE with both temporal soft masks) with a tiny
# VideoViT (192-d, 12 blocks, 3 heads) trained from scratch on SynthDFER,
# small enough for a few minutes on 2 CPU cores. Generate the data first
# (tools/data/make_synthetic.py, see the dataset config). SynthDFER is
# synthetic: the numbers show that the pipeline works, not how a model does
# on real faces. 16x112x112 clips -> 8x7x7 tokens; the tube mask
# (rho = 0.7) leaves n_s = 15 visible tokens per slice.
# Status: this ViT from scratch stays near chance on SynthDFER (UAR ~12-15 %
# in every variant tried, up to 30 epochs); see docs/adatosk.md, "Demo on
# SynthDFER", for the measurements and why. It checks the pipeline only.
_base_ = [
    '../_base_/models/adatosk_vit-b.py', '../_base_/datasets/synth_dfer.py',
    '../_base_/schedules/adatosk_adamw_100e.py',
    '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(arch='tiny', img_size=112),
    decoder=dict(embed_dims=96, num_heads=3, default_grid=(8, 7, 7)))
max_epochs = 3
warmup_epochs = 1
train_cfg = dict(max_epochs=max_epochs, val_begin=1, val_interval=1)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-5, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=256)
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(interval=1, max_keep_ckpts=1))
load_from = None
