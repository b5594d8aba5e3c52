# adatosk Table 3 row 3: class-semantic soft mask with the temporal
# accumulative score only (CS(M)): S = minmax(1 - M).
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(cls_head=dict(soft_mask=dict(
    class_agnostic=None, class_semantic=dict(scores='M'))))
