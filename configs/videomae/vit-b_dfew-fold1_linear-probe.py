# Linear probing of a pretrained VideoMAE ViT-B on DFEW fold 1: frozen
# backbone (no gradients, eval mode), only DFERHead trains; no mixup/cutmix,
# no drop path.
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(
    backbone=dict(frozen=True, drop_path_rate=0.),
    data_preprocessor=dict(blending=None))
