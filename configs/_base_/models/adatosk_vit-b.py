# AdaTosk (AdaTosk §3, §4.1; docs/design.md, 'AdaTosk'): ViT-B masked
# autoencoder with a
# parallel supervised branch on the encoded visible tokens.
# - reconstruction branch: tube hard mask rho = 0.7 (eq. 3), whole-tubelet
#   patch-normalised pixel targets, a one-layer 384-wide decoder (paper
#   §4.1: "one-layer transformers as decoder");
# - classification branch: temporal soft mask S = S_agn * S_sem (eq. 4-12,
#   top-k 4, top-r 2, L1 distance) on the visible tokens, mean pooling and a
#   two-layer MLP (eq. 13);
# - loss 1 * L_rec + 0.1 * L_cls (eq. 2);
# - inference classifies the visible tokens of a fixed tube mask of the same
#   ratio (set eval_masker=None or mask_ratio=0. to use every token).
# 16x160x160 clips (docs/design.md, 'Clip sampling'; the paper resizes to 224,
# set input_size in
# the dataset config and img_size here to follow it) -> 8x10x10 tokens,
# n_t = 8 slices of n_s = 30 visible tokens.
num_classes = 7
model = dict(
    type='SupervisedMAE',
    backbone=dict(
        type='VideoViT', img_size=160, num_frames=16,
        arch=dict(embed_dims=768, num_layers=12, num_heads=12),  # ViT-B
        patch_size=16, tubelet_size=2, drop_path_rate=0.),
    masker=dict(type='TubeMasker', mask_ratio=0.7),
    decoder=dict(
        type='MAEDecoder', embed_dims=384, num_layers=1, num_heads=6),
    # decoder out_channels / default_grid and the loss's tubelet_size
    # come from the backbone when the model is built
    rec_loss=dict(
        type='MaskedReconstructionLoss',
        motion_target=False),
    cls_head=dict(
        type='SoftMaskClsHead',
        num_classes=num_classes,
        dropout=0.,
        loss_cls=dict(type='CrossEntropyLoss'),
        average_clips='prob',
        soft_mask=dict(
            type='AdaptiveTemporalSoftMask',
            class_agnostic=dict(
                type='ClassAgnosticSoftMask', top_k=4, reduction=4,
                distance='l1'),
            class_semantic=dict(
                type='ClassSemanticSoftMask', top_r=2, scores='A+M'))),
    eval_masker=dict(type='FixedTubeMasker', mask_ratio=0.7, pattern='even'),
    lambda_rec=1.0,
    lambda_cls=0.1,
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))
