# Masked-video pretraining schedule (hi2m §4.2, VideoMAE recipe): AdamW
# (beta 0.9 / 0.95), base lr 3e-4 for a total batch of 256, scaled linearly
# by the real total batch (auto_scale_lr), weight decay 0.05 (none on
# 1-D parameters - norms, biases, q/v biases - nor on learned tokens), 80 epochs: 5 linear warm-up
# then cosine decay.
max_epochs = 80
warmup_epochs = 5

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
val_cfg = None
test_cfg = None

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-4, betas=(0.9, 0.95),
                   weight_decay=0.05,
                   fused=True),  # same update in one kernel
    # (docs/design.md, 'Performance principles')
    # VideoMAE: no decay on 1-D parameters and on the learned tokens
    paramwise_cfg=dict(
        flat_decay_mult=0.0,
        custom_keys={
            'mask_token': dict(decay_mult=0.0),
            'lg_region_tokens': dict(decay_mult=0.0),
        }),
    clip_grad=None)

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]

auto_scale_lr = dict(enable=True, base_batch_size=256)
