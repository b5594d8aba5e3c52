# The demo's pretraining schedule (configs/_base_/datasets/
# synth_dfer_demo_pretrain.py): 28 epochs of AdamW (lr 3e-3 at
# batch 32, betas 0.9/0.95 as in VideoMAE, 2 warm-up epochs, cosine), no
# validation (configs add default_hooks: one checkpoint at the end).
max_epochs, warmup_epochs = 28, 2
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
val_cfg = None
test_cfg = None
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, betas=(0.9, 0.95),
                   weight_decay=0.05),
    paramwise_cfg=dict(flat_decay_mult=0.0,
                       custom_keys={'mask_token': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-5, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=256)
randomness = dict(seed=0)
