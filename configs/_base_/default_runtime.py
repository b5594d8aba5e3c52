# Runtime defaults shared by every dfertools config. Configs are plain
# literals: no import statements (MMEngine reads a config that imports a
# module it cannot prove is built in as a lazy-import config, and in a
# virtualenv that is every module, so the whole inheritance chain fails).

default_scope = 'dfertools'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    # LoggerHook prints loss, lr, data/step time and the ETA of the run
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # temp file + rename; old checkpoints pruned only after the new one
    # is on disk; `last_checkpoint` written last
    # (docs/design.md, 'Reliability principles')
    checkpoint=dict(
        type='AtomicCheckpointHook', interval=1, max_keep_ckpts=3,
        save_last=True),
    # a NaN/Inf loss stops the run with the iteration and sample ids
    non_finite_loss=dict(type='NonFiniteLossHook', max_skips=0),
    # RNG states in checkpoints, restored on --resume: resume is exact
    rng_state=dict(type='RNGStateHook'),
    # unreadable training videos are substituted in the workers; this hook
    # reports them per epoch, lists them in <work_dir>/bad_samples.txt and
    # stops the run above the dataset's max_bad_fraction (default 1%)
    bad_samples=dict(type='BadSampleHook'),
    # test metrics go to the visualizer backends (TensorBoard) as test/*
    test_scalars=dict(type='TestScalarsHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo when CUDA is unavailable; the tools
    # add timeout=600 (seconds a collective waits for a stalled rank) unless
    # set here or with --dist-timeout
    dist_cfg=dict(backend='nccl'),
)

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)

# tools/train.py and tools/test.py append TensorboardVisBackend when the
# tensorboard package is installed; set auto_tensorboard = False to keep
# exactly the backends listed here
visualizer = dict(type='ActionVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')])
auto_tensorboard = True

log_level = 'INFO'
load_from = None
resume = False
