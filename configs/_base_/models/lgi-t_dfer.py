# MAE-DFER LGI-Former-T (256-d, 16 blocks; mae_dfer Table 9).
_base_ = ['./lgi-b_dfer.py']
model = dict(
    backbone=dict(arch='tiny'),
    cls_head=dict(in_channels=256))
