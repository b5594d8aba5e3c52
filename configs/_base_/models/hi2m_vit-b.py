# HI2M pretraining model (hi2m §3): the VideoMAE model (videomae_vit-b.py:
# ViT-B encoder, 4-block 384-wide decoder, rho = 0.9) with the Hard Region
# Discovery masker (attention policy, visible tokens ~ Categorical(N_v, P)),
# appearance + motion targets (eq. 1), Hard Sample Mining (eq. 2-4) and the
# HRD policy loss (eq. 7, lambda = 1e-4): L = L_HSM + lambda L_HRD (eq. 8).
# Ablations switch `hsm` / the masker.
_base_ = ['./videomae_vit-b.py']
model = dict(
    masker=dict(type='HRDMasker', mask_ratio=0.9, detach_input=True,
                deterministic_eval=True),
    rec_loss=dict(motion_target=True, appearance_weight=0.5,
                  motion_weight=0.5),
    hsm=dict(type='HardSampleMining', global_stats=False, reduction='sum'),
    hrd_loss=dict(type='HRDPolicyLoss', loss_weight=1e-4))
