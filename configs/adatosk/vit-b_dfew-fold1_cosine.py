# adatosk Table 4: cosine distance (1 - cos) between adjacent frame
# descriptors in the class-agnostic soft mask.
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(cls_head=dict(soft_mask=dict(
    class_agnostic=dict(distance='cosine'))))
