# Fine-tuning recipe of VideoMAE / MAE-DFER (mae_dfer §4.2): AdamW
# (0.9, 0.999), base lr 1e-3 for a total batch of 256 (scaled linearly by
# auto_scale_lr), weight decay 0.05, layer decay 0.75, 100 epochs with 5
# linear warm-up epochs then cosine decay to 1e-3 of each group's lr (the
# reference min lr 1e-6 at lr 1e-3; a ratio, not an absolute eta_min, keeps
# the layer-decay ratios to the end, as the reference scales every group).
max_epochs = 100
warmup_epochs = 5
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=0.05,
                   fused=True),  # same update in one kernel
    # (docs/design.md, 'Performance principles')
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.75))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min_ratio=1e-3, by_epoch=True, begin=warmup_epochs,
         end=max_epochs,
         convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=True, base_batch_size=256)
