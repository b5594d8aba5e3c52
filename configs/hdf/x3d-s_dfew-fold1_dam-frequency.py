# HDF Table 4 (b): DAM with the frequency branch only.
_base_ = ['./x3d-s_dfew-fold1.py']
model = dict(backbone=dict(dam_cfg=dict(use_frequency=True,
                                        use_temporal=False)))
