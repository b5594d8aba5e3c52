# MAE-DFER LGI-Former-B fine-tuning model (mae_dfer §3.4, §4.2).
# Clips stay uint8 until here; mean/std are ImageNet's in the 0-255 scale.
num_classes = 7
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='LGIFormer',
        arch='base',
        img_size=160,
        num_frames=16,
        region_size=(2, 5, 10),
        drop_path_rate=0.1,
        # DFERHead normalises after pooling (MAE-DFER `fc_norm`); the head
        # pools the 8 representative tokens, as the authors' fine-tuning
        # scripts (`--lg_classify_token_type region`)
        final_norm=False,
        out_type='rep'),
    cls_head=dict(
        type='DFERHead',
        num_classes=num_classes,
        in_channels=512,
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
