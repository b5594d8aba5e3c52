# SynthDFER unlabeled pool (natural expressions, labels withheld, talking)
# for masked-video pretraining demos (NOT a real dataset): synth_dfer.py's
# clips and training pipeline on annotations/unlabeled.txt. Generate:
# python tools/data/make_synthetic.py --out data/synth_dfer
_base_ = ['./synth_dfer.py']
train_dataloader = dict(dataset=dict(
    type='UnlabeledVideoDataset', ann_file='annotations/unlabeled.txt',
    fold=None))
# Pretraining has no labels to evaluate: set val_cfg = test_cfg = None.
val_dataloader = None
test_dataloader = None
val_evaluator = None
test_evaluator = None
