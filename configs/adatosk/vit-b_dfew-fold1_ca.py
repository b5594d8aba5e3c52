# adatosk Table 3 row 1: class-agnostic soft mask only (CA).
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(cls_head=dict(soft_mask=dict(class_semantic=None)))
