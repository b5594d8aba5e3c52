# The demo's SynthDFER (NOT a real dataset; synth_dfer.py's folds and
# loaders): 4,200 labeled clips in 5 folds plus a 3,000-clip unlabeled pool
# of other people (natural expressions, labels withheld, talking),
# generated at 64x64 by
#   python tools/data/make_synthetic.py --out data/synth_dfer_demo \
#       --num-labeled 4200 --num-unlabeled 3000 --size 64
# (tools/demo.sh does this). Clips are decoded at 46x46 and cropped to the
# central 36x36; the model input is 32x32 (training: a random resized crop
# of 80-100 % of that area and a flip; test: the central 32x32, 70 % of
# the frame: the face, as DFER datasets crop it), 8 frames at stride 2.
# Decoded clips stay in memory (VideoInit cache_mb) and load in one thread,
# so every epoch after the first costs no decoding.
_base_ = ['./synth_dfer.py']
clip_pipeline = dict(
    clip_len=8, frame_interval=2, input_size=32,
    load=dict(decode_size=(46, 46), cache_mb=2048),
    frame_crop=dict(type='CenterCrop', crop_size=36), resize=None,
    area_range=(0.8, 1.0))
dataset_common = dict(data_root='data/synth_dfer_demo',
                      pipeline=clip_pipeline)
loader_common = dict(batch_size=32, num_workers=1, worker_type='thread')
train_dataloader = dict(loader_common, dataset=dataset_common)
val_dataloader = dict(loader_common, dataset=dataset_common)
test_dataloader = val_dataloader
