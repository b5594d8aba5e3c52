"""The new-masker example of docs/developer_guide.md, as written there: its
file dropped into dfertools/models/maskers registers without any other edit,
keeps the masker contract, and its one config line builds and trains a
(tiny) MaskedVideoPretrainer."""
import re
import sys

import pytest
import torch
from mmengine.config import Config

import dfertools.models.maskers as maskers_pkg
from dfertools.registry import MASKERS, MODELS
from tests.fixtures.cli import ROOT
from tests.fixtures.masker_contract import check_contract

FILE_HEADER = '# dfertools/models/maskers/center_first.py'
CONFIG_HEADER = '# configs/videomae/vit-b_vox2_center-first.py'
NAME = 'CenterFirstMasker'
MODULE = f'{maskers_pkg.__name__}.center_first'

TINY_BASE = '''model = dict(
    type='MaskedVideoPretrainer',
    backbone=dict(type='VideoViT', arch=dict(embed_dims=48, num_layers=2,
                                             num_heads=3),
                  img_size=32, num_frames=4),
    masker=dict(type='TubeMasker', mask_ratio=0.5),
    decoder=dict(type='MAEDecoder', embed_dims=32, num_layers=1,
                 num_heads=2, default_grid=(2, 2, 2)))
'''


def _guide_block(header):
    text = open(f'{ROOT}/docs/developer_guide.md', encoding='utf-8').read()
    blocks = [b for b in re.findall(r'```python\n(.*?)```', text, re.S)
              if b.startswith(header + '\n')]
    assert len(blocks) == 1, f'docs/developer_guide.md: one block {header}'
    return blocks[0]


@pytest.fixture
def dropped_in(tmp_path, monkeypatch):
    """The guide's file in a folder of the maskers package, imported by the
    package's own discovery (as if it sat in dfertools/models/maskers)."""
    assert NAME not in MASKERS.module_dict
    (tmp_path / 'center_first.py').write_text(_guide_block(FILE_HEADER))
    monkeypatch.setattr(maskers_pkg, '__path__',
                        list(maskers_pkg.__path__) + [str(tmp_path)])
    try:
        assert MODULE in maskers_pkg.import_all()
        yield MASKERS.get(NAME)
    finally:
        MASKERS._module_dict.pop(NAME, None)
        sys.modules.pop(MODULE, None)
        maskers_pkg.__dict__.pop(NAME, None)


def test_dropped_in_file_registers_and_keeps_the_contract(dropped_in):
    assert dropped_in.__module__ == MODULE
    assert getattr(maskers_pkg, NAME) is dropped_in
    for ratio in (0.0, 0.25, 0.75):
        for grid in ((2, 4, 4), (3, 4, 6)):
            check_contract(MASKERS.build(dict(type=NAME, mask_ratio=ratio)),
                           grid)
    # a 4x4 slice at 0.25 hides its four central positions, every slice
    out = MASKERS.build(dict(type=NAME, mask_ratio=0.25))(
        torch.zeros(2, 32, 8), (2, 4, 4))
    assert out.masked_idx.tolist() == [[5, 6, 9, 10, 21, 22, 25, 26]] * 2


def test_one_config_line_builds_and_trains(dropped_in, tmp_path):
    line = [ln for ln in _guide_block(CONFIG_HEADER).splitlines()
            if ln.startswith('model = ')]
    assert len(line) == 1, 'the guide config sets model in one line'
    (tmp_path / 'tiny_base.py').write_text(TINY_BASE)
    (tmp_path / 'tiny_center_first.py').write_text(
        "_base_ = ['./tiny_base.py']\n" + line[0] + '\n')
    cfg = Config.fromfile(str(tmp_path / 'tiny_center_first.py'))
    assert cfg.model.masker == dict(type=NAME, mask_ratio=0.75)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    assert type(model.masker) is dropped_in
    from mmengine.optim import OptimWrapper
    wrapper = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3))
    g = torch.Generator().manual_seed(0)
    data = dict(inputs=[torch.randint(0, 256, (1, 3, 4, 32, 32),
                                      dtype=torch.uint8, generator=g)
                        for _ in range(2)], data_samples=None)
    before = model.backbone.patch_embed.proj.weight.detach().clone()
    log = model.train_step(data, wrapper)
    assert set(log) == {'loss', 'loss_rec'}
    assert torch.isfinite(log['loss'])
    assert not torch.equal(before, model.backbone.patch_embed.proj.weight)
    # grid (2, 2, 2), 0.75 of each 2x2 slice: 3 hidden, 1 visible per slice
    x = model.data_preprocessor(data, True)['inputs']
    masks = model(x, mode='tensor')['masks']
    assert masks.visible_idx.tolist() == [[3, 7]] * 2
