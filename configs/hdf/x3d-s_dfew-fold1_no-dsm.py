# HDF Table 3 (b): DAM without DSM: plain cross-entropy, no contrastive loss
# and no loss scaler.
_base_ = ['./x3d-s_dfew-fold1.py']
model = dict(contrastive_loss=None, loss_scaler=None)
