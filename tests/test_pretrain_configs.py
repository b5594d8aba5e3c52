"""The pretraining model configs build with the published sizes, and the
demo config trains a step."""
import pytest
import torch
from mmengine.config import Config

from dfertools.registry import MODELS

SIZES = {  # parameters at 16x160x160 (DESIGN §6)
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
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    from mmengine.optim import OptimWrapper
    ow = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3))
    inputs = [torch.randint(0, 256, (1, 3, 16, 112, 112), dtype=torch.uint8)
              for _ in range(2)]
    log = model.train_step(dict(inputs=inputs, data_samples=None), ow)
    assert {'loss_rec', 'loss_hrd', 'hrd_entropy'} <= set(log)
    assert all(torch.isfinite(v) for v in log.values())
