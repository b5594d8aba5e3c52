# AdaTosk without † (adatosk Table 1): no temporal soft mask - the
# classification branch mean-pools the encoded visible tokens.
_base_ = ['./vit-b_dfew-fold1.py']
model = dict(cls_head=dict(soft_mask=None))
