# VideoMAE ViT-B pretraining on VoxCeleb2 (the baseline of mae_dfer §3.1):
# 16 frames x 160x160 (stride 4, upper-centre VoxCeleb2 crop), tube masking
# rho = 0.9, whole-tubelet targets; AdamW 0.9/0.95, lr 3e-4 x batch/256,
# wd 0.05, 80 epochs (5 warm-up, cosine).
_base_ = [
    '../_base_/models/videomae_vit-b.py',
    '../_base_/datasets/voxceleb2.py',
    '../_base_/schedules/pretrain_adamw_80e.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=32)

# own work dir: the same file name exists in several families
work_dir = './work_dirs/videomae/vit-b_vox2'
