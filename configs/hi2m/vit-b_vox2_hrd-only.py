# HI2M ablation (hi2m §4.4): Hard Region Discovery only - the HRD masker and
# its policy loss, plain (unweighted) reconstruction loss.
_base_ = ['./vit-b_vox2.py']

model = dict(hsm=None)
work_dir = './work_dirs/hi2m/vit-b_vox2_hrd-only'
