# HDF Table 4 (c): DAM with the temporal branch only.
_base_ = ['./x3d-s_dfew-fold1.py']
model = dict(backbone=dict(dam_cfg=dict(use_frequency=False,
                                        use_temporal=True)))
