# Linear probe of the HI2M-pretrained ViT-B on FERV39k (hi2m §4.2): frozen
# backbone, only DFERHead trains; no mixup/cutmix, no drop path.
_base_ = ['./vit-b_ferv39k.py']
model = dict(
    backbone=dict(frozen=True, drop_path_rate=0.),
    data_preprocessor=dict(blending=None))
work_dir = './work_dirs/hi2m/vit-b_ferv39k_linear-probe'
