# Demo: HI2M-style masked pretraining (HRD masker, HSM, appearance + motion
# targets) of the small VideoViT that configs/demo/vit-t_synth-dfer_finetune.py
# fine-tunes (192-d, 4 blocks, 3 heads; 8 frames of 112x112 -> 4x7x7 = 196
# tokens), on the unlabeled "talking" clips of SynthDFER, in a few minutes on
# 2 CPU cores. Generate the data first:
#   python tools/data/make_synthetic.py --out data/synth_dfer
# SynthDFER is synthetic: this shows that the pipeline runs end to end, not
# what pretraining does on real faces. The checkpoint loads into the
# fine-tuning demo with `load_from` (tools/demo.sh does this).
_base_ = [
    '../_base_/models/hi2m_vit-b.py',
    '../_base_/datasets/synth_dfer_pretrain.py',
    '../_base_/default_runtime.py',
]

clip_len, frame_interval, size = 8, 2, 112  # as the fine-tuning demo
model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=192, num_layers=4,
                            num_heads=3),
                  img_size=size, num_frames=clip_len),
    masker=dict(num_heads=3),
    decoder=dict(embed_dims=128, num_layers=2, num_heads=4,
                 default_grid=(clip_len // 2, size // 16, size // 16)))

train_pipeline = [
    dict(type='VideoInit', backend='cv2'),
    dict(type='DFERSampleFrames', clip_len=clip_len,
         frame_interval=frame_interval),
    dict(type='VideoDecode'),
    dict(type='RandomResizedCrop', area_range=(0.7, 1.0)),
    dict(type='Resize', scale=(size, size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('video_id', 'view_id')),
]
train_dataloader = dict(batch_size=8, num_workers=1,
                        dataset=dict(pipeline=train_pipeline))

max_epochs, warmup_epochs = 3, 1
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
val_cfg = None
test_cfg = None
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-3, betas=(0.9, 0.95),
                   weight_decay=0.05),
    paramwise_cfg=dict(flat_decay_mult=0.0,
                       custom_keys={'mask_token': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-5, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=256)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=1, max_keep_ckpts=1))
work_dir = './work_dirs/demo/vit-t_synth-pretrain'
# a reproducible demo
randomness = dict(seed=0)
