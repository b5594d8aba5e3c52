# AdaTosk† (adatosk Table 1, "with the temporal soft mask") on DFEW fold 1.
# Paper: 16 frames, stride 4; rho = 0.7; top-k 4; top-r 2; AdamW (0.9,
# 0.95); base lr 1.5e-4 x batch / 256; 100 epochs (10 warm-up) on 8 GPUs x
# 16 clips = 128. Select another fold with
#   --cfg-options train_dataloader.dataset.fold=K \
#     val_dataloader.dataset.fold=K test_dataloader.dataset.fold=K
# Initialised from a VideoMAE ViT-B pretraining checkpoint (encoder and
# decoder; converted with tools/convert/convert_checkpoint.py or written by
# configs/videomae/vit-b_vox2.py); keys the one-layer decoder lacks are
# reported and skipped.
_base_ = [
    '../_base_/models/adatosk_vit-b.py', '../_base_/datasets/dfew.py',
    '../_base_/schedules/adatosk_adamw_100e.py',
    '../_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=16)
load_from = 'checkpoints/videomae_vit-b_voxceleb2_pretrain.pth'
