# HI2M-pretrained ViT-B fine-tuned on DFEW fold 1 (hi2m §4.2): 16 x 160x160,
# stride 4 and the 2 test views from the dataset config; AdamW (0.9, 0.999),
# lr 1e-3 (the VideoMAE code base's base lr, scaled by total batch / 256 via
# auto_scale_lr), batch 24, 100 epochs with 5 warm-up, cosine.
# The pretraining checkpoint loads by `load_from` with no key surgery: the
# pretrainer's encoder is `backbone`; decoder/masker keys are ignored.
_base_ = [
    '../_base_/models/vit-b_dfer.py', '../_base_/datasets/dfew.py',
    '../_base_/schedules/finetune_adamw_100e.py',
    '../_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=24)
pretrained = 'work_dirs/hi2m/vit-b_vox2/epoch_80.pth'
load_from = pretrained
work_dir = './work_dirs/hi2m/vit-b_dfew-fold1'
