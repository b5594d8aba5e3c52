# MAE-DFER pretraining model (mae_dfer §3.3-3.4, §4.2): LGI-Former-B encoder
# (512-d, 16 blocks, 8 heads, 2x5x10 regions), tube-window masking
# (rho = 0.9, equal visible count per region), 4-block 384-wide decoder,
# joint appearance + motion targets (eq. 2, lambda = 0.5).
# 16x160x160 clips; 92.76 M parameters.
data_preprocessor = dict(
    type='ActionDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    format_shape='NCTHW')

region_size = (2, 5, 10)
model = dict(
    type='MaskedVideoPretrainer',
    backbone=dict(
        type='LGIFormer', img_size=160, num_frames=16,
        arch=dict(embed_dims=512, num_layers=16, num_heads=8),  # LGI-B
        patch_size=16, tubelet_size=2, region_size=region_size,
        drop_path_rate=0.),
    masker=dict(type='TubeWindowMasker', mask_ratio=0.9,
                region_size=region_size),
    decoder=dict(
        type='MAEDecoder', embed_dims=384, num_layers=4, num_heads=6),
    # decoder out_channels / default_grid and the loss's tubelet_size
    # come from the backbone when the model is built
    rec_loss=dict(
        type='MaskedReconstructionLoss',
        motion_target=True, appearance_weight=0.5, motion_weight=0.5),
    data_preprocessor=data_preprocessor)
