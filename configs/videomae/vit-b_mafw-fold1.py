# VideoMAE ViT-B fine-tuned on MAFW fold 1 (11 classes).
_base_ = [
    '../_base_/models/vit-b_dfer.py', '../_base_/datasets/mafw.py',
    '../_base_/schedules/finetune_adamw_100e.py',
    '../_base_/default_runtime.py'
]
pretrained = 'checkpoints/videomae_vit-b_voxceleb2_pretrain.pth'
load_from = pretrained
num_classes = 11
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)
        ])))
