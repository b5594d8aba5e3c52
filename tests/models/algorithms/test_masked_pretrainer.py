"""MaskedVideoPretrainer: one step per method family, loss decrease, predict,
and the pretrain -> fine-tune hand-off."""
import pytest
import torch

from dfertools.registry import MODELS

from tests.fixtures.tiny_pretrainer import (FAMILIES, TINY_VIT, batch,  # noqa
                                           build, optim)


@pytest.mark.parametrize('family', list(FAMILIES))
def test_one_step_and_loss_decreases(family):
    model = build(family)
    ow = optim(model)
    data = batch()
    logs = [model.train_step(data, ow) for _ in range(8)]
    for log in logs:
        assert all(torch.isfinite(v).all() for v in log.values())
        assert not any(v.requires_grad for k, v in log.items()
                       if 'loss' not in k)
    assert logs[-1]['loss_rec'] < logs[0]['loss_rec']
    keys = set(logs[0])
    if family == 'hi2m':
        assert {'loss_rec', 'loss_hrd', 'rec_unweighted', 'hsm_weight_std',
                'hrd_entropy'} <= keys
        # the HRD policy moved
        assert logs[-1]['hrd_entropy'] != logs[0]['hrd_entropy']
    else:
        assert keys == {'loss', 'loss_rec'}


def test_loss_parts_detached_and_targets_use_raw_clip():
    model = build('hi2m')
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    assert losses['loss_rec'].requires_grad
    assert losses['loss_hrd'].requires_grad
    for k in ('rec_unweighted', 'hsm_weight_std', 'hrd_entropy'):
        assert not losses[k].requires_grad and 'loss' not in k
    raw = model.raw_clip(data['inputs'][:, 0])
    expect = torch.stack(batch()['inputs'])[:, 0].float()
    assert torch.allclose(raw, expect, atol=1e-3)


def test_hrd_loss_reaches_policy_only():
    model = build('hi2m')
    data = model.data_preprocessor(batch(), True)
    model(**data, mode='loss')['loss_hrd'].backward()
    assert model.masker.head.weight.grad.abs().sum() > 0
    for name, p in model.named_parameters():
        if not name.startswith('masker.'):
            assert p.grad is None, name


def test_hrd_loss_requires_log_prob():
    cfg = dict(FAMILIES['videomae'], hrd_loss=dict(type='HRDPolicyLoss'))
    # refused when built, naming both config keys
    with pytest.raises(ValueError, match=r"model\.hrd_loss .*log_prob.*"
                       r"model\.masker\.type='TubeMasker'"):
        MODELS.build(dict(type='MaskedVideoPretrainer', **cfg))
    # a loss attached after the build still fails at the loss step
    model = build('videomae')
    model.hrd_loss = MODELS.build(dict(type='HRDPolicyLoss'))
    data = model.data_preprocessor(batch(), True)
    with pytest.raises(ValueError, match='log_prob'):
        model(**data, mode='loss')


def test_policy_masker_requires_hrd_loss():
    """Without model.hrd_loss the HRD policy gets no gradient: refused when
    built; HI2M's lambda = 0 ablation is an hrd_loss with loss_weight 0."""
    cfg = dict(FAMILIES['hi2m'], hrd_loss=None)
    with pytest.raises(ValueError, match=r"model\.masker\.type='HRDMasker'"
                       r'.*model\.hrd_loss.*None'):
        MODELS.build(dict(type='MaskedVideoPretrainer', **cfg))
    cfg['hrd_loss'] = dict(type='HRDPolicyLoss', loss_weight=0.)
    model = MODELS.build(dict(type='MaskedVideoPretrainer', **cfg))
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    assert float(losses['loss_hrd'].detach()) == 0.0


@pytest.mark.parametrize('family', ['videomae', 'hi2m'])
def test_predict_fields(family):
    model = build(family).eval()
    data = model.data_preprocessor(batch(2), False)
    out = model(**data, mode='predict')
    assert len(out) == 2
    ds = out[0]
    assert ds.pred_video.shape == ds.target_video.shape == (3, 4, 32, 32)
    assert ds.mask.shape == (2, 2, 2) and ds.mask.dtype == torch.bool
    # visible tokens carry no prediction
    vis = (~ds.mask).repeat_interleave(2, 0).repeat_interleave(
        16, 1).repeat_interleave(16, 2)
    assert (ds.pred_video[:, vis] == 0).all()
    assert ('prob' in ds) == (family == 'hi2m')


def test_pretrain_checkpoint_loads_into_recognizer(tmp_path):
    from mmengine.registry import DefaultScope
    from mmengine.runner.checkpoint import load_checkpoint
    model = build('videomae')
    model.train_step(batch(), optim(model))
    path = tmp_path / 'pretrain.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)

    # as under the Runner: Recognizer3D builds its preprocessor by name
    with DefaultScope.overwrite_default_scope('dfertools'):
        rec = _recognizer()
    ckpt = load_checkpoint(rec, str(path), map_location='cpu', strict=False)
    src = ckpt['state_dict']
    dst = rec.state_dict()
    backbone_keys = [k for k in dst if k.startswith('backbone.')]
    assert backbone_keys
    for k in backbone_keys:
        assert k in src, f'{k} not in the pretraining checkpoint'
        assert torch.equal(dst[k], src[k]), k
    missing = {k for k in dst if k not in src}
    unexpected = {k for k in src if k not in dst}
    assert missing and all(k.startswith('cls_head.') for k in missing)
    assert all(k.startswith(('decoder.', 'masker.', 'backbone.norm.'))
               for k in unexpected), unexpected
    assert any(k.startswith('decoder.') for k in unexpected)


def _recognizer():
    return MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(TINY_VIT, final_norm=False),
        cls_head=dict(type='DFERHead', num_classes=7, in_channels=48),
        data_preprocessor=dict(type='ActionDataPreprocessor',
                               mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375],
                               format_shape='NCTHW')))
