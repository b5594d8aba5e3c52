# HI2M pretraining model (hi2m §3): ViT-B encoder, Hard Region Discovery
# masker (attention policy, visible tokens ~ Categorical(N_v, P), rho = 0.9),
# 4-block 384-wide decoder, appearance + motion targets (eq. 1), Hard Sample
# Mining (eq. 2-4) and the HRD policy loss (eq. 7, lambda = 1e-4):
# L = L_HSM + lambda L_HRD (eq. 8). Ablations switch `hsm` / the masker.
data_preprocessor = dict(
    type='ActionDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    format_shape='NCTHW')

model = dict(
    type='MaskedVideoPretrainer',
    backbone=dict(
        type='VideoViT', img_size=160, num_frames=16,
        arch=dict(embed_dims=768, num_layers=12, num_heads=12),  # ViT-B
        patch_size=16, tubelet_size=2, drop_path_rate=0.),
    masker=dict(type='HRDMasker', mask_ratio=0.9, detach_input=True,
                deterministic_eval=True),
    decoder=dict(
        type='MAEDecoder', embed_dims=384, num_layers=4, num_heads=6),
    # decoder out_channels / default_grid and the loss's tubelet_size
    # come from the backbone when the model is built
    rec_loss=dict(
        type='MaskedReconstructionLoss',
        motion_target=True, appearance_weight=0.5, motion_weight=0.5),
    hsm=dict(type='HardSampleMining', global_stats=False, reduction='sum'),
    hrd_loss=dict(type='HRDPolicyLoss', loss_weight=1e-4),
    data_preprocessor=data_preprocessor)
