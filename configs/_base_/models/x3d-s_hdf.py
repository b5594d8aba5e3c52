# HDF (HDF §4): X3D-S with a DAM after each stage, HDFHead (logits +
# pooled feature), loss lambda_CE * CE + lambda_SC * L_IB-D-SC with the
# grad-norm loss scaler (eq. 13-17). X3D-S = gamma_w 1, gamma_b 2.25,
# gamma_d 2.2 (feature width 432), as MMAction2's X3D configs.
model = dict(
    type='HDFRecognizer',
    backbone=dict(
        type='X3DWithDAM',
        gamma_w=1.0,
        gamma_b=2.25,
        gamma_d=2.2,
        # a local X3D checkpoint (weights_only); None = from scratch
        checkpoint=None,
        dam_cfg=dict(use_frequency=True, use_temporal=True)),
    cls_head=dict(
        type='HDFHead',
        num_classes=7,
        in_channels=432,
        mid_channels=2048,
        dropout_ratio=0.5,
        average_clips='prob'),
    contrastive_loss=dict(type='IBDROSupConLoss', temperature=0.07, eta=0.2,
                          beta=0.1),
    loss_scaler=dict(type='GradNormLossScaler', alpha=10.0, beta=0.1,
                     exact=False),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))
