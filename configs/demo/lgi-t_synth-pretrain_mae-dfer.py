# Demo: MAE-DFER pretraining (LGI-Former, tube-window masking, appearance +
# motion targets; mae_dfer eq. 1-2) of a small LGI-Former (96-d, 2 blocks,
# 3 heads) on the demo's unlabeled pool, with the data, decoder and
# schedule of the HI2M demo: `bash tools/demo.sh --method mae_dfer`. The
# 4x4x4 token grid holds 2x2x2 local regions (8 regions of 8 tokens; the
# paper's 2x5x10 regions fit its 8x10x10 grid). Mask ratio 0.75.
_base_ = [
    '../_base_/models/mae_dfer_lgi-b.py',
    '../_base_/datasets/synth_dfer_demo_pretrain.py',
    '../_base_/schedules/demo_pretrain_28e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(arch=dict(embed_dims=96, num_layers=2, num_heads=3),
                  img_size=32, num_frames=8, patch_size=8,
                  region_size=(2, 2, 2)),
    masker=dict(mask_ratio=0.75, region_size=(2, 2, 2)),
    decoder=dict(embed_dims=64, num_layers=2, num_heads=2))
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=40, max_keep_ckpts=1))
