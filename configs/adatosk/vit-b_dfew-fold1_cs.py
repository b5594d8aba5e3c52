# adatosk Table 3 row 2: class-semantic soft mask only, both scores
# (CS(A+M)).
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(cls_head=dict(soft_mask=dict(class_agnostic=None)))
