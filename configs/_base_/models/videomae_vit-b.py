# VideoMAE pretraining model (the baseline of mae_dfer §3.1): ViT-B encoder,
# tube masking (rho = 0.9), 4-block 384-wide decoder, whole-tubelet
# patch-normalised pixel targets. 16x160x160 clips -> 8x10x10 tokens;
# 94.21 M parameters.
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
    masker=dict(type='TubeMasker', mask_ratio=0.9),
    decoder=dict(
        type='MAEDecoder', embed_dims=384, num_layers=4, num_heads=6),
    # decoder out_channels / default_grid and the loss's tubelet_size
    # come from the backbone when the model is built
    rec_loss=dict(
        type='MaskedReconstructionLoss',
        motion_target=False),
    data_preprocessor=data_preprocessor)
