# MAE-DFER LGI-Former-S (384-d, 16 blocks; mae_dfer Table 9).
_base_ = ['./lgi-b_dfer.py']
model = dict(
    backbone=dict(arch='small'),
    cls_head=dict(in_channels=384))
