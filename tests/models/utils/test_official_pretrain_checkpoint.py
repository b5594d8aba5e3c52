"""An official VideoMAE pretraining checkpoint as its training script saves
it (``model``, ``optimizer``, ``epoch``, ``scaler``, ``args``), converted
with and without its decoder and loaded, with strict key matching, into the
models our configs build."""
import argparse
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import dfertools  # noqa: F401
from dfertools.models.utils.checkpoint_convert import (convert_state_dict,
                                                       read_state_dict)
from dfertools.registry import MODELS
from tests.fixtures.cli import load_tool
from tests.fixtures.paths import REPO_ROOT as ROOT

torch.set_num_threads(1)
TINY = {'model.backbone.arch': dict(embed_dims=48, num_layers=2,
                                    num_heads=3),
        'model.backbone.img_size': 32, 'model.backbone.num_frames': 4}
# names as the released VideoMAE pretraining code (modeling_pretrain.py)
# writes them, for a 2-block encoder and a 1-block decoder
OFFICIAL_NAMES = {
    'encoder.patch_embed.proj.weight', 'encoder.patch_embed.proj.bias',
    'encoder.blocks.1.norm1.weight', 'encoder.blocks.1.attn.qkv.weight',
    'encoder.blocks.1.attn.q_bias', 'encoder.blocks.1.attn.v_bias',
    'encoder.blocks.1.attn.proj.weight', 'encoder.blocks.1.mlp.fc2.bias',
    'encoder.norm.weight', 'encoder.norm.bias',
    'encoder_to_decoder.weight', 'mask_token',
    'decoder.blocks.0.norm1.bias', 'decoder.blocks.0.attn.qkv.weight',
    'decoder.blocks.0.attn.q_bias', 'decoder.blocks.0.mlp.fc1.weight',
    'decoder.norm.weight', 'decoder.head.weight', 'decoder.head.bias'}


def _tool():
    return load_tool('tools/convert/convert_checkpoint.py')


def _model(cfg_file, **extra):
    init_default_scope('dfertools')
    cfg = Config.fromfile(osp.join(ROOT, cfg_file))
    cfg.merge_from_dict(dict(TINY, **extra))
    return MODELS.build(cfg.model)


def _pretrainer():
    return _model('configs/videomae/vit-b_vox2.py',
                  **{'model.decoder.embed_dims': 24,
                     'model.decoder.num_layers': 1,
                     'model.decoder.num_heads': 3})


def _to_official(ours):
    """Our pretrainer's tensors under the official names."""
    out = {}
    for k, v in ours.state_dict().items():
        if k.startswith('backbone.'):
            out['encoder.' + k[len('backbone.'):]] = v.clone()
        elif k == 'decoder.proj.weight':
            out['encoder_to_decoder.weight'] = v.clone()
        elif k == 'decoder.mask_token':
            out['mask_token'] = v.clone()
        else:
            out[k] = v.clone()
    return out


@pytest.fixture
def official(tmp_path):
    torch.manual_seed(0)
    src = _pretrainer()
    with torch.no_grad():
        for p in src.parameters():
            p.normal_(0, 0.1)
    model = _to_official(src)
    assert OFFICIAL_NAMES <= set(model)
    assert all(k.startswith(('encoder.', 'decoder.')) or k in (
        'encoder_to_decoder.weight', 'mask_token') for k in model)
    opt = torch.optim.AdamW(src.parameters(), lr=1.5e-4, betas=(0.9, 0.95))
    sum(p.sum() for p in src.parameters()).backward()
    opt.step()
    args = argparse.Namespace(
        model='pretrain_videomae_base_patch16_160', mask_type='tube',
        mask_ratio=0.9, batch_size=32, epochs=800, lr=1.5e-4,
        opt_betas=[0.9, 0.95], window_size=(2, 2, 2), patch_size=(16, 16),
        normlize_target=True, output_dir='output', device='cuda',
        resume='', dist_on_itp=False, weight_decay_end=None)
    path = tmp_path / 'checkpoint-799.pth'
    torch.save({'model': model, 'optimizer': opt.state_dict(), 'epoch': 799,
                'scaler': torch.amp.GradScaler('cpu').state_dict(),
                'args': args}, path)
    return path, model


def test_convert_with_decoder_continues_pretraining(official, tmp_path):
    path, model = official
    dst = tmp_path / 'videomae_pretrain_full.pth'
    assert _tool().main([str(path), str(dst), '--keep-decoder']) == 0
    ckpt = read_state_dict(str(dst))
    assert ckpt['meta']['official_epoch'] == 799
    assert ckpt['meta']['official_args']['mask_ratio'] == 0.9
    ours = _pretrainer()
    ours.load_state_dict(ckpt['state_dict'], strict=True)
    state = ours.state_dict()
    assert torch.equal(state['decoder.proj.weight'],
                       model['encoder_to_decoder.weight'])
    assert torch.equal(state['decoder.mask_token'], model['mask_token'])
    assert torch.equal(state['decoder.head.weight'],
                       model['decoder.head.weight'])
    assert torch.equal(state['backbone.blocks.1.attn.q_bias'],
                       model['encoder.blocks.1.attn.q_bias'])
    assert len(state) == len(model)


def test_convert_without_decoder_fits_backbone_and_finetune_model(
        official, tmp_path):
    path, model = official
    dst = tmp_path / 'videomae_pretrain.pth'
    assert _tool().main([str(path), str(dst)]) == 0
    state = read_state_dict(str(dst))['state_dict']
    assert not any(k.startswith('decoder.') for k in state)
    finetune = _model('configs/videomae/vit-b_dfew-fold1.py',
                      **{'model.cls_head.in_channels': 48})
    backbone = {k[len('backbone.'):]: v for k, v in state.items()}
    # fine-tuning mean-pools and normalises in the head (fc_norm), so the
    # encoder's final norm is unused - as in VideoMAE's own fine-tuning
    res = finetune.backbone.load_state_dict(backbone, strict=False)
    assert not res.missing_keys
    assert sorted(res.unexpected_keys) == ['norm.bias', 'norm.weight']
    del backbone['norm.weight'], backbone['norm.bias']
    finetune.backbone.load_state_dict(backbone, strict=True)
    result = _pretrainer().load_state_dict(state, strict=False)
    assert not result.unexpected_keys
    assert {k.split('.')[0] for k in result.missing_keys} == {'decoder'}
    assert len(result.missing_keys) == sum(
        1 for k in model if not k.startswith('encoder.'))


def test_keep_decoder_refuses_unknown_and_finetuned_layouts(official):
    _, model = official
    extra = dict(model, **{'decoder.head_motion.weight': torch.zeros(2)})
    with pytest.raises(ValueError, match='head_motion'):
        convert_state_dict({'model': extra}, keep_decoder=True)
    assert 'decoder.head_motion.weight' in convert_state_dict(
        {'model': extra}).dropped
    finetuned = {k[len('encoder.'):]: v for k, v in model.items()
                 if k.startswith('encoder.')}
    finetuned['head.weight'] = torch.zeros(7, 48)
    with pytest.raises(ValueError, match='fine-tuned'):
        convert_state_dict({'module': finetuned}, keep_decoder=True)
    conv = convert_state_dict({'module': finetuned})
    with pytest.raises(ValueError, match='no pretraining decoder'):
        conv.pretrainer_state_dict()
