# FERV39k: 7 classes (DFEW order), one official train/test split, frame
# stride 1 (docs/design.md, 'Data decisions', 'Clip sampling'); otherwise
# DFEW's clip pipeline (dfew.py). FERV39k has no validation split:
# validation monitors the test split; the reported checkpoint is the last
# one. Layout and annotation files: docs/data_preparation.md
# (tools/data/ferv39k.py).
_base_ = ['./dfew.py']
ferv39k = dict(data_root='data/ferv39k', dataset_name='ferv39k', fold=None,
               pipeline=dict(frame_interval=1))
train_dataloader = dict(dataset=dict(ferv39k,
                                     ann_file='annotations/train.txt'))
val_dataloader = dict(dataset=dict(ferv39k, ann_file='annotations/test.txt'))
test_dataloader = val_dataloader
