# MAE-DFER LGI-Former-B fine-tuned on DFEW fold 1 (mae_dfer Table 5).
# The fold, 16x4 sampling at 160x160 and the 2 test views come from the
# dataset config; set `pretrained` to a converted MAE-DFER checkpoint
# (tools/convert/convert_checkpoint.py).
_base_ = [
    '../_base_/models/lgi-b_dfer.py', '../_base_/datasets/dfew.py',
    '../_base_/schedules/finetune_adamw_100e.py',
    '../_base_/default_runtime.py'
]
pretrained = 'checkpoints/mae-dfer_lgi-b_voxceleb2_pretrain.pth'
load_from = pretrained

# Test protocol of the authors' fine-tuning scripts: 2 temporal windows x 2
# spatial crops = 4 views per video, whose softmax probabilities DFERMetric
# averages (mae_dfer §4.2 names the two temporal clips). The crops sit at
# the two ends of the longer side of the 160-pixel-short-side frames; on
# square frames (DFEW's 224x224 crops) they coincide. The dataset's
# num_views counts both (windows x crops). Validation keeps the dataset
# config's 2 views.
num_test_crops = 2
test_dataloader = dict(dataset=dict(num_views=2 * num_test_crops,
                                    pipeline=dict(num_crops=num_test_crops)))
