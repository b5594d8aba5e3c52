# HDF Table 3 (b->c): DSM without DAM (plain X3D-S backbone).
_base_ = ['./x3d-s_dfew-fold1.py']
model = dict(backbone=dict(dam_cfg=None))
