# tools/cv.sh end-to-end: the foundation toy recognizer on fold-aware data,
# two test views per clip, DFERMetric as the test metric, no val split.
_base_ = ['../fixtures/configs/toy_recognizer.py']

custom_imports = dict(imports=['tests.fixtures.toy_task',
                               'tests.cv_toy.fold_toy'],
                      allow_failed_imports=False)
train_dataloader = dict(dataset=dict(type='FoldToyClipDataset', fold=1,
                                     num_samples=8))
test_dataloader = dict(dataset=dict(type='FoldToyClipDataset', fold=1,
                                    num_samples=6, num_views=2))
test_evaluator = dict(type='DFERMetric')
train_cfg = dict(max_epochs=1)
