# MAE-DFER LGI-Former-B fine-tuning model (mae_dfer §3.4, §4.2): the
# VideoMAE fine-tuning model (vit-b_dfer.py: DFERHead, label smoothing,
# Mixup/CutMix, ImageNet mean/std) with the LGI-Former backbone.
_base_ = ['./vit-b_dfer.py']
model = dict(
    backbone=dict(
        type='LGIFormer',
        arch='base',
        region_size=(2, 5, 10),
        # DFERHead normalises after pooling (MAE-DFER `fc_norm`); the head
        # pools the 8 representative tokens, as the authors' fine-tuning
        # scripts (`--lg_classify_token_type region`)
        out_type='rep'),
    cls_head=dict(in_channels=512))
