# MAE-DFER LGI-Former-B fine-tuned on DFEW fold 1 (mae_dfer Table 5).
# The fold, 16x4 sampling at 160x160 and the 2 test views come from the
# dataset config; set `pretrained` to a converted MAE-DFER checkpoint
# (tools/convert/convert_checkpoint.py).
_base_ = [
    '../_base_/models/lgi-b_dfer.py', '../_base_/datasets/dfew.py',
    '../_base_/schedules/finetune_adamw_100e.py',
    '../_base_/default_runtime.py'
]
pretrained = 'checkpoints/mae-dfer_lgi-b_voxceleb2_pretrain.pth'
load_from = pretrained
