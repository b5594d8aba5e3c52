# Demo: VideoMAE pretraining (tube masking, whole-tubelet pixel targets) of
# the small VideoViT of configs/demo/vit-t_synth-pretrain.py, with the same
# data, decoder and schedule: `bash tools/demo.sh --method videomae`.
# Mask ratio 0.75 as in the HI2M demo (the paper's 0.9 leaves 2 of the 16
# token columns).
_base_ = [
    '../_base_/models/videomae_vit-b.py',
    '../_base_/datasets/synth_dfer_demo_pretrain.py',
    '../_base_/schedules/demo_pretrain_28e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(arch=dict(embed_dims=96, num_layers=2, num_heads=3),
                  img_size=32, num_frames=8, patch_size=8),
    masker=dict(mask_ratio=0.75),
    decoder=dict(embed_dims=64, num_layers=2, num_heads=2))
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=40, max_keep_ckpts=1))
