"""Every checkpoint loading route refuses each code-carrying pickle of
tests/fixtures/evil_checkpoints.py and runs nothing of it (the ``evil``
fixture of conftest.py checks the marker). test_checkpoint_safety.py covers
``safe_load``, MMEngine's ``load_checkpoint``, ``tools/train.py --resume``
and ``tools/test.py``; this file covers ``load_from``, the converter (API
and CLI), the inference API, ``pretrained=`` of the token backbones and
``checkpoint=`` of X3DWithDAM — and checks statically that no other
``torch.load`` exists in the package or the tools."""
import os.path as osp
import re
import sys
from pathlib import Path

import pytest
import torch
from mmengine.registry import DefaultScope

import dfertools  # noqa: F401
import dfertools.models  # noqa: F401
from dfertools.utils.checkpoint import CheckpointRefusedError
from tests.fixtures.engine_toys import ToyDataset, runner_cfg
from tests.fixtures.cli import ROOT, run

REFUSED = 'Nothing from it was executed'


def test_load_from_refuses(evil, tmp_path):
    from dfertools.engine import DFERRunner
    runner = DFERRunner(**runner_cfg(tmp_path / 'w', ToyDataset(),
                                     max_iters=1, load_from=evil.path))
    with pytest.raises(CheckpointRefusedError, match=REFUSED):
        runner.train()


def test_converter_api_and_cli_refuse(evil, tmp_path):
    from dfertools.models.utils import read_state_dict
    with pytest.raises(CheckpointRefusedError, match=REFUSED):
        read_state_dict(evil.path)
    out = tmp_path / 'out.pth'
    proc = run([sys.executable, 'tools/convert/convert_checkpoint.py', evil.path,
                str(out)])
    assert proc.returncode != 0
    assert REFUSED in proc.stderr and evil.path in proc.stderr
    assert not out.exists()


def test_inference_api_refuses(evil, tmp_path):
    from dfertools.apis import init_recognizer
    from tests.fixtures.inference_config import CONFIG
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(CONFIG)
    with pytest.raises(CheckpointRefusedError, match=REFUSED):
        init_recognizer(str(cfg), evil.path)


def test_backbone_pretrained_refuses(evil):
    with DefaultScope.overwrite_default_scope('dfertools'):
        vit = dfertools.registry.MODELS.build(dict(
            type='VideoViT', arch=dict(embed_dims=48, num_layers=1,
                                       num_heads=3),
            img_size=32, num_frames=4, pretrained=evil.path))
        with pytest.raises(CheckpointRefusedError, match=REFUSED):
            vit.init_weights()
        x3d = dfertools.registry.MODELS.build(dict(
            type='X3DWithDAM', gamma_w=0.5, gamma_b=1.0, gamma_d=1.0,
            se_ratio=None, checkpoint=evil.path))
        with pytest.raises(CheckpointRefusedError, match=REFUSED):
            x3d.init_weights()


def _sources():
    for folder in ('dfertools', 'tools'):
        yield from Path(ROOT, folder).rglob('*.py')


def test_no_other_torch_load_and_never_weights_only_false():
    loads, unsafe = [], []
    for path in _sources():
        # code only: drop comments (which may name what we never do)
        text = '\n'.join(ln.split('#')[0] for ln in
                          path.read_text().splitlines())
        rel = osp.relpath(path, ROOT)
        if re.search(r'torch\.load\s*\(', text):
            loads.append(rel)
        if re.search(r'weights_only\s*=\s*False|pickle\.loads?\(|'
                     r'\beval\(\s*open', text):
            unsafe.append(rel)
    assert loads == [osp.join('dfertools', 'utils', 'checkpoint.py')]
    assert unsafe == []
