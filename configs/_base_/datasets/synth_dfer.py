# SynthDFER: the synthetic stand-in for DFEW (NOT a real dataset;
# docs/design.md, 'SynthDFER'): DFEW's classes, 5 folds and loaders
# (dfew.py) on clips generated with
#   python tools/data/make_synthetic.py --out data/synth_dfer
# Native size 112x112, clips of 16-32 frames. The clip pipeline: 16
# consecutive frames resized to 112x112 (a no-op at the native size);
# training takes a random resized crop of 70-100 % of the area and a flip.
_base_ = ['./dfew.py']
clip_pipeline = dict(frame_interval=1, input_size=112, resize='square',
                     area_range=(0.7, 1.0))
dataset_common = dict(dataset_name='synth_dfer', data_root='data/synth_dfer',
                      pipeline=clip_pipeline)
loader_common = dict(num_workers=2)
train_dataloader = dict(loader_common, dataset=dataset_common)
val_dataloader = dict(loader_common, dataset=dataset_common)
test_dataloader = val_dataloader
