# Linear probe of the HI2M-pretrained ViT-B on DFEW fold 1 (hi2m §4.2 "a
# linear classifier on top of its frozen features"): frozen backbone, only
# DFERHead trains; no mixup/cutmix, no drop path.
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(
    backbone=dict(frozen=True, drop_path_rate=0.),
    data_preprocessor=dict(blending=None))
work_dir = './work_dirs/hi2m/vit-b_dfew-fold1_linear-probe'
