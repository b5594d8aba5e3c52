# AdaTosk† on FERV39k (official train/test split). The dataset config
# samples 16 frames at stride 1 (docs/design.md, 'Clip sampling'; the paper
# states stride 4 for
# every dataset: set frame_interval=4 in the dataset config to follow it).
_base_ = [
    '../_base_/models/adatosk_vit-b.py', '../_base_/datasets/ferv39k.py',
    '../_base_/schedules/adatosk_adamw_100e.py',
    '../_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=16)
load_from = 'checkpoints/videomae_vit-b_voxceleb2_pretrain.pth'
