# Demo: fine-tune the small LGI-Former of
# configs/demo/lgi-t_synth-pretrain_mae-dfer.py on fold 1 of the demo's
# SynthDFER, with the recipe of configs/demo/vit-t_synth-dfer_finetune.py
# (the mean of the local tokens feeds the head; its token dropping is drawn
# region by region, 4 of each 2x2x2 region's 8 tokens).
_base_ = ['./vit-t_synth-dfer_finetune.py']
model = dict(backbone=dict(type='LGIFormer', region_size=(2, 2, 2)))
