# AdaTosk training recipe (adatosk §4.1, VideoMAE's settings): AdamW
# (beta 0.9 / 0.95), weight decay 0.05, base lr 1.5e-4 scaled linearly by
# total batch / 256 (auto_scale_lr; the paper's total batch is 128),
# 100 epochs: 10 linear warm-up epochs, then cosine decay.
max_epochs = 100
warmup_epochs = 10
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95),
                   weight_decay=0.05,
                   fused=True),  # same update in one kernel
    # (docs/design.md, 'Performance principles')
    # VideoMAE: no decay on 1-D parameters (norms, biases) nor on the
    # decoder's mask token
    paramwise_cfg=dict(
        flat_decay_mult=0.0,
        custom_keys={'mask_token': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=True, base_batch_size=256)
