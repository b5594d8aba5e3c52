# The unlabeled pool of the demo's SynthDFER (synth_dfer_demo.py: same
# clips, crop and cache) for masked pretraining; nothing to validate.
_base_ = ['./synth_dfer_demo.py']
train_dataloader = dict(dataset=dict(
    type='UnlabeledVideoDataset', ann_file='annotations/unlabeled.txt',
    fold=None))
val_dataloader = None
val_evaluator = None
test_dataloader = None
test_evaluator = None
