"""The pretraining model configs build with the published sizes, and the
demo config trains a step."""
import pytest
import torch
from mmengine.config import Config

from dfertools.datasets import dataset_pipeline
from dfertools.registry import MODELS

SIZES = {  # parameters at 16x160x160 (docs/design.md, 'MAE decoder')
    'videomae_vit-b': 94_210_944,   # VideoMAE ViT-B encoder + decoder
    'mae_dfer_lgi-b': 92_760_192,   # MAE-DFER LGI-Former-B + decoder
    'hi2m_vit-b': 94_210_944 + 7_087_873,  # + the HRD policy network
}


@pytest.mark.slow  # builds three ViT-B-sized models
@pytest.mark.parametrize('name', list(SIZES))
def test_model_base_parameter_counts(name):
    cfg = Config.fromfile(f'configs/_base_/models/{name}.py')
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == SIZES[name]
    policy = sum(p.numel() for p in model.masker.parameters())
    mae = SIZES[name] - policy
    assert mae in (94_210_944, 92_760_192)


def test_demo_config_one_step():
    cfg = Config.fromfile('configs/demo/vit-t_synth-pretrain.py')
    # the demo shows HI2M: HRD masker, HSM, appearance + motion targets
    # (the motion weighted down to 0.1, docs/demo.md)
    m = cfg.model
    assert m.masker.type == 'HRDMasker' and m.hsm.type == 'HardSampleMining'
    assert m.rec_loss.motion_target is True
    assert (m.rec_loss.appearance_weight, m.rec_loss.motion_weight) == (
        0.9, 0.1)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    from mmengine.optim import OptimWrapper
    ow = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3))
    inputs = [torch.randint(0, 256, (1, 3, 8, 112, 112), dtype=torch.uint8)
              for _ in range(2)]
    log = model.train_step(dict(inputs=inputs, data_samples=None), ow)
    assert {'loss_rec', 'loss_hrd', 'hrd_entropy'} <= set(log)
    assert all(torch.isfinite(v) for v in log.values())


VOX2 = ['videomae/vit-b_vox2', 'mae_dfer/lgi-b_vox2', 'hi2m/vit-b_vox2',
        'hi2m/vit-b_vox2_hsm-only', 'hi2m/vit-b_vox2_hrd-only']


@pytest.mark.parametrize('name', VOX2)
def test_vox2_configs(name):
    from dfertools.registry import DATASETS, MASKERS
    cfg = Config.fromfile(f'configs/{name}.py')
    m = cfg.model
    assert m.masker.mask_ratio == 0.9 and MASKERS.get(m.masker.type)
    assert m.backbone.img_size == 160 and m.backbone.num_frames == 16
    ds = cfg.train_dataloader.dataset
    assert ds.type == 'UnlabeledVideoDataset'
    pipe = {t['type']: t for t in dataset_pipeline(ds)}
    assert pipe['DFERSampleFrames']['clip_len'] == 16
    assert pipe['DFERSampleFrames']['frame_interval'] == 4
    assert 'VoxCeleb2Crop' in pipe
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, tuple(opt.betas), opt.weight_decay) == (
        'AdamW', 3e-4, (0.9, 0.95), 0.05)
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=256)
    warm, cos = cfg.param_scheduler
    assert warm.type == 'LinearLR' and warm.end == 5
    assert cos.type == 'CosineAnnealingLR' and cos.begin == 5
    assert cos.end == cfg.train_cfg.max_epochs == (
        50 if name.startswith('mae_dfer') else 80)
    assert cfg.work_dir == f'./work_dirs/{name}'
    hsm, hrd = m.get('hsm'), m.get('hrd_loss')
    assert (hsm is not None) == (name in ('hi2m/vit-b_vox2',
                                          'hi2m/vit-b_vox2_hsm-only'))
    assert (hrd is not None) == (m.masker.type == 'HRDMasker')
    assert m.rec_loss.motion_target == (not name.startswith('videomae'))
    # no VoxCeleb2 on disk: building the dataset fails at once, naming the
    # expected path and the data preparation guide
    with pytest.raises(FileNotFoundError,
                       match=r'data/voxceleb2.*data_preparation\.md'):
        DATASETS.build(ds)


@pytest.mark.parametrize('name', ['hi2m/vit-b_dfew-fold1',
                                  'hi2m/vit-b_ferv39k',
                                  'hi2m/vit-b_dfew-fold1_linear-probe',
                                  'hi2m/vit-b_ferv39k_linear-probe'])
def test_hi2m_finetune_configs(name):
    cfg = Config.fromfile(f'configs/{name}.py')
    assert cfg.model.type == 'Recognizer3D'
    assert cfg.load_from == 'work_dirs/hi2m/vit-b_vox2/epoch_80.pth'
    assert cfg.train_dataloader.batch_size == 24
    opt = cfg.optim_wrapper.optimizer
    assert (opt.lr, tuple(opt.betas)) == (1e-3, (0.9, 0.999))
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.param_scheduler[0].end == 5
    pipe = {t['type']: t
            for t in dataset_pipeline(cfg.train_dataloader.dataset)}
    assert pipe['DFERSampleFrames']['frame_interval'] == (
        1 if 'ferv39k' in name else 4)
    assert pipe['DFERSampleFrames']['clip_len'] == 16
    assert cfg.model.backbone.get('frozen', False) == ('probe' in name)
