# adatosk Table 3 row 4: class-semantic soft mask with the semantic score
# only (CS(A)): S = minmax(A).
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(cls_head=dict(soft_mask=dict(
    class_agnostic=None, class_semantic=dict(scores='A'))))
