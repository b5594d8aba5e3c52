# adatosk Table 3 row 5: CA + CS(M).
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(cls_head=dict(soft_mask=dict(class_semantic=dict(scores='M'))))
