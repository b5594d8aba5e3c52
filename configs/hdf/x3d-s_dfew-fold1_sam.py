# HDF with the SAM optimiser wrapper (rho 0.05) around AdamW, as in the
# authors' training script (train_wSAM.py).
_base_ = ['./x3d-s_dfew-fold1.py']
optim_wrapper = dict(type='SAMOptimWrapper', rho=0.05)
