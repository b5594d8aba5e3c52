# HDF Table 3 (a): the X3D-S baseline, neither DAM nor DSM (plain CE).
_base_ = ['./x3d-s_dfew-fold1.py']
model = dict(backbone=dict(dam_cfg=None), contrastive_loss=None,
             loss_scaler=None)
