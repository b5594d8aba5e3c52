# Benchmark config (docs/benchmarks.md): the paper's input size,
# 16 x 160 x 160 clips (8 x 10 x 10 = 800 tokens), on a ViT-S VideoViT
# (384-d, 12 blocks, 6 heads) with the fine-tuning recipe (fused AdamW,
# layer decay) and the SynthDFER training pipeline (OpenCV decoding, uint8
# clips until the data preprocessor, 2 loader threads). Generate 160x160
# SynthDFER first:
#   python tools/data/make_synthetic.py --out data/synth_dfer_160 --size 160
# then e.g.
#   python tools/analysis/benchmark.py --config THIS --mode train \
#       --compare mmaction-vit
#   python tools/analysis/benchmark.py --config THIS --mode data \
#       --compare mmaction-vit
_base_ = [
    '../_base_/datasets/synth_dfer.py', '../_base_/default_runtime.py',
    '../_base_/schedules/finetune_adamw_100e.py'
]
data_root = 'data/synth_dfer_160'
clip_len = 16
frame_interval = 1
input_size = 160
num_classes = 7
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VideoViT', arch='small', img_size=input_size,
        num_frames=clip_len, drop_path_rate=0., final_norm=False,
        out_type='tokens'),
    cls_head=dict(type='DFERHead', num_classes=num_classes, in_channels=384,
                  average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))
# The dataset config's clip pipeline at this size, in every loader;
# 2 loader threads (dfertools/datasets/thread_loader.py): no worker
# processes, no shared-memory transfer; per-sample seeds keep it exact
data = dict(data_root=data_root, pipeline=dict(
    clip_len=clip_len, frame_interval=frame_interval, input_size=input_size))
train_dataloader = dict(batch_size=8, num_workers=2, worker_type='thread',
                        dataset=data)
val_dataloader = dict(dataset=data)
test_dataloader = val_dataloader
