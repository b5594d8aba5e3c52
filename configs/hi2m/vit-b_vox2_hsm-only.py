# HI2M ablation (hi2m §4.4): Hard Sample Mining only - tube masking instead
# of HRD, appearance + motion targets, HSM-weighted reconstruction loss.
_base_ = [
    '../_base_/models/videomae_vit-b.py',
    '../_base_/datasets/voxceleb2.py',
    '../_base_/schedules/pretrain_adamw_80e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    rec_loss=dict(motion_target=True, appearance_weight=0.5,
                  motion_weight=0.5),
    hsm=dict(type='HardSampleMining', global_stats=False, reduction='sum'))

train_dataloader = dict(batch_size=30)

# own work dir: the same file name exists in several families
work_dir = './work_dirs/hi2m/vit-b_vox2_hsm-only'
