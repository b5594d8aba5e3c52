# AdaTosk† on MAFW fold 1 (11 classes).
_base_ = [
    '../_base_/models/adatosk_vit-b.py', '../_base_/datasets/mafw.py',
    '../_base_/schedules/adatosk_adamw_100e.py',
    '../_base_/default_runtime.py'
]
model = dict(cls_head=dict(num_classes=11))
train_dataloader = dict(batch_size=16)
load_from = 'checkpoints/videomae_vit-b_voxceleb2_pretrain.pth'
