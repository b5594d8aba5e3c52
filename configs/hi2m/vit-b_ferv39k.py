# HI2M-pretrained ViT-B fine-tuned on FERV39k (hi2m §4.2): 16 x 160x160,
# stride 1 (from the dataset config), otherwise as vit-b_dfew-fold1.py.
_base_ = [
    '../_base_/models/vit-b_dfer.py', '../_base_/datasets/ferv39k.py',
    '../_base_/schedules/finetune_adamw_100e.py',
    '../_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=24)
pretrained = 'work_dirs/hi2m/vit-b_vox2/epoch_80.pth'
load_from = pretrained
work_dir = './work_dirs/hi2m/vit-b_ferv39k'
