# VideoMAE ViT-B fine-tuned on DFEW fold 1 (mae_dfer Table 5 "VideoMAE").
# The fold, 16x4 sampling at 160x160 and the 2 test views come from the
# dataset config; set `pretrained` to a converted VideoMAE checkpoint
# (tools/convert/convert_checkpoint.py).
_base_ = [
    '../_base_/models/vit-b_dfer.py', '../_base_/datasets/dfew.py',
    '../_base_/schedules/finetune_adamw_100e.py',
    '../_base_/default_runtime.py'
]
pretrained = 'checkpoints/videomae_vit-b_voxceleb2_pretrain.pth'
load_from = pretrained
