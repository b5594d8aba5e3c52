# Demo: HI2M pretraining (Hard Region Discovery masker, Hard Sample Mining,
# appearance + motion targets; hi2m eq. 1-8) of a small VideoViT (96-d, 2
# blocks, 3 heads) on the unlabeled pool of the demo's SynthDFER: 8 frames
# of 32x32 in 8x8 patches, a 4x4x4 token grid. tools/demo.sh generates the
# data and runs this, then fine-tunes and probes the result
# (configs/demo/vit-t_synth-dfer_finetune.py); docs/demo.md. Departures
# from the paper's ViT-B recipe, for 2 CPU cores: the tiny ViT and grid,
# mask ratio 0.75 (the paper's 0.9 leaves 6 of 64 tokens), a 2-block 64-d
# decoder (its model step 35-50 % cheaper than 128-d's:
# docs/benchmarks.md), lr 3e-3 at batch 32, 28 epochs, the appearance /
# motion balance lambda = 0.9 (mae_dfer eq. 2's hyperparameter, 0.5 there):
# at 32x32 with pixel noise the normalised frame difference is mostly
# noise, and at 0.5 the pretrained model fine-tuned 14 UAR points lower
# (docs/demo.md); and a policy block whose FFN is as wide as its input
# (mlp_ratio 1; the paper's importance network is attention, linear and
# softmax and names no FFN): the pretraining step 15-25 % cheaper.
_base_ = [
    '../_base_/models/hi2m_vit-b.py',
    '../_base_/datasets/synth_dfer_demo_pretrain.py',
    '../_base_/schedules/demo_pretrain_28e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(arch=dict(embed_dims=96, num_layers=2, num_heads=3),
                  img_size=32, num_frames=8, patch_size=8),
    masker=dict(num_heads=3, mask_ratio=0.75, mlp_ratio=1.0),
    rec_loss=dict(appearance_weight=0.9, motion_weight=0.1),
    decoder=dict(embed_dims=64, num_layers=2, num_heads=2))
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=40, max_keep_ckpts=1))
