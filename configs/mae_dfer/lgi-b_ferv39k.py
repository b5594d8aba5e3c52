# MAE-DFER LGI-Former-B fine-tuned on FERV39k (7 classes, official train/test).
_base_ = [
    '../_base_/models/lgi-b_dfer.py', '../_base_/datasets/ferv39k.py',
    '../_base_/schedules/finetune_adamw_100e.py',
    '../_base_/default_runtime.py'
]
pretrained = 'checkpoints/mae-dfer_lgi-b_voxceleb2_pretrain.pth'
load_from = pretrained
