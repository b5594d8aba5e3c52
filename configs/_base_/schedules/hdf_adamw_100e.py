# HDF schedule (HDF §5.1.3): AdamW, lr 5e-4, weight decay 0.05, 100
# epochs, 20 of linear warm-up, then cosine down to 5e-6.
max_epochs = 100
warmup_epochs = 20

# GradNormOptimWrapper measures g for the grad-norm loss scaler (eq. 16)
optim_wrapper = dict(
    type='GradNormOptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999),
                   weight_decay=0.05,
                   fused=True),  # same update in one kernel
    # (docs/design.md, 'Performance principles')
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=5e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]

# validation only monitors (docs/design.md, 'Model selection': the reported
# checkpoint is the last)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=32)
