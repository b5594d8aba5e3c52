# adatosk Table 4: L2 distance between adjacent frame descriptors in the
# class-agnostic soft mask (the default, vit-b_dfew-fold1.py, is L1).
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(cls_head=dict(soft_mask=dict(
    class_agnostic=dict(distance='l2'))))
