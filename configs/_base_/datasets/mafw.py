# MAFW: 11 classes, 5-fold cross-validation (docs/design.md,
# 'Data decisions'): DFEW's protocol and clip pipeline (dfew.py) on MAFW's
# files. Layout and annotation files: docs/data_preparation.md
# (tools/data/mafw.py).
_base_ = ['./dfew.py']
mafw = dict(data_root='data/mafw', dataset_name='mafw')
train_dataloader = dict(dataset=mafw)
val_dataloader = dict(dataset=mafw)
test_dataloader = dict(dataset=mafw)
