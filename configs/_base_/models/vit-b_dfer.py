# VideoMAE ViT-B fine-tuning model for DFER (videomae / mae_dfer §4.2).
# Clips stay uint8 until here; mean/std are ImageNet's in the 0-255 scale.
num_classes = 7
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VideoViT',
        arch=dict(embed_dims=768, num_layers=12, num_heads=12),  # ViT-B
        img_size=160,
        num_frames=16,
        drop_path_rate=0.1,
        # DFERHead normalises after pooling (VideoMAE `use_mean_pooling`)
        final_norm=False,
        out_type='tokens'),
    cls_head=dict(
        type='DFERHead',
        num_classes=num_classes,
        in_channels=768,
        dropout_ratio=0.,
        init_scale=1e-3,
        label_smooth_eps=0.1,
        loss_cls=dict(type='CrossEntropyLoss'),
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
        # timm Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, switch_prob=0.5)
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8,
                     num_classes=num_classes),
                dict(type='CutmixBlending', alpha=1.0,
                     num_classes=num_classes)
            ])))
