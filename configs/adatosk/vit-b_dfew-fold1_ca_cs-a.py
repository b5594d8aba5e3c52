# adatosk Table 3 row 6: CA + CS(A).
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(cls_head=dict(soft_mask=dict(class_semantic=dict(scores='A'))))
