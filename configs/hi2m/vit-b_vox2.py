# HI2M pretraining on VoxCeleb2 (hi2m §3, §4.2): ViT-B, Hard Region
# Discovery masker (rho = 0.9) + Hard Sample Mining, appearance + motion
# targets, L = L_HSM + 1e-4 L_HRD (eq. 8). 16 x 160x160, stride 4, upper
# centre crop; AdamW 0.9/0.95, lr 3e-4 x batch/256, wd 0.05, 80 epochs
# (5 warm-up, cosine); the paper's batch is 60 on two GPUs (2 x 30).
_base_ = [
    '../_base_/models/hi2m_vit-b.py',
    '../_base_/datasets/voxceleb2.py',
    '../_base_/schedules/pretrain_adamw_80e.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=30)

# own work dir: the same file name exists in several families
work_dir = './work_dirs/hi2m/vit-b_vox2'
