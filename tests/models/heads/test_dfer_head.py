"""DFERHead, mmaction mixup/cutmix on NCTHW clips, Recognizer3D assembly."""
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.registry import init_default_scope

from dfertools.registry import MODELS

torch.set_num_threads(1)


def head(**kw):
    cfg = dict(type='DFERHead', num_classes=7, in_channels=48)
    cfg.update(kw)
    return MODELS.build(cfg)


def test_forward_is_mean_ln_linear():
    h = head().eval()
    torch.nn.init.normal_(h.norm.weight)
    torch.nn.init.normal_(h.norm.bias)
    x = torch.randn(2, 10, 48)
    m = x.mean(1)
    ln = (m - m.mean(-1, keepdim=True)) / torch.sqrt(
        m.var(-1, unbiased=False, keepdim=True) + 1e-6)
    ref = (ln * h.norm.weight + h.norm.bias) @ h.fc_cls.weight.T \
        + h.fc_cls.bias
    torch.testing.assert_close(h(x), ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(h(m), ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match='DFERHead expects'):
        h(torch.randn(2, 3, 4, 48))


def test_init_scaled_by_0001():
    torch.manual_seed(0)
    h = head(in_channels=512)
    h.init_weights()
    w = h.fc_cls.weight
    assert torch.all(h.fc_cls.bias == 0)
    assert w.abs().max() <= 6 * .02 * 1e-3
    assert 0.5 * .02e-3 < w.std() < 1.5 * .02e-3
    assert h.average_clips == 'prob'


def test_label_smoothing_loss():
    h = head(label_smooth_eps=0.1, loss_cls=dict(type='CrossEntropyLoss'))
    x = torch.randn(3, 5, 48)
    samples = [ActionDataSample().set_gt_label(torch.tensor([i]))
               for i in (0, 3, 6)]
    loss = h.loss(x, samples)['loss_cls']
    logits = h(x)
    target = torch.full((3, 7), 0.1 / 7)
    target[[0, 1, 2], [0, 3, 6]] += 0.9
    ref = -(target * logits.log_softmax(-1)).sum(-1).mean()
    torch.testing.assert_close(loss, ref)


@pytest.mark.parametrize('aug', ['MixupBlending', 'CutmixBlending'])
def test_mmaction_blending_on_ncthw(aug):
    """mmaction's blending acts on [B, views, C, T, H, W] clips: mixup mixes
    whole clips, cutmix the same box in every frame; labels become soft."""
    torch.manual_seed(0)
    pre = MODELS.build(dict(
        type='ActionDataPreprocessor', mean=[0., 0., 0.], std=[1., 1., 1.],
        format_shape='NCTHW',
        blending=dict(type='RandomBatchAugment',
                      augments=[dict(type=aug, alpha=1.0, num_classes=4)])))
    inputs = [torch.full((1, 3, 4, 8, 8), float(i)) for i in range(4)]
    samples = [ActionDataSample().set_gt_label(torch.tensor([i]))
               for i in range(4)]
    out = pre(dict(inputs=inputs, data_samples=samples), training=True)
    x = out['inputs']
    assert x.shape == (4, 1, 3, 4, 8, 8)
    for b, s in enumerate(out['data_samples']):
        soft = s.gt_label
        assert soft.shape == (4, )
        torch.testing.assert_close(soft.sum(), torch.tensor(1.))
        # each pixel is the label-weighted mixture of the clip values
        expect = (soft * torch.arange(4.)).sum()
        torch.testing.assert_close(x[b].mean(), expect, rtol=1e-5,
                                   atol=1e-5)
        if aug == 'CutmixBlending':  # same box in every frame
            assert torch.equal(x[b, 0, :, :1].expand_as(x[b, 0]), x[b, 0])


def test_recognizer3d_with_video_vit_and_lgi():
    init_default_scope('dfertools')
    for backbone in (
            dict(type='VideoViT', arch=dict(embed_dims=48, num_layers=1,
                                            num_heads=3),
                 img_size=32, num_frames=4, final_norm=False),
            dict(type='LGIFormer', arch=dict(embed_dims=48, num_layers=1,
                                             num_heads=3),
                 img_size=32, num_frames=4, region_size=(1, 1, 2),
                 final_norm=False, out_type='rep')):
        model = MODELS.build(dict(
            type='Recognizer3D', backbone=backbone,
            cls_head=dict(type='DFERHead', num_classes=7, in_channels=48),
            data_preprocessor=dict(type='ActionDataPreprocessor',
                                   mean=[114.75] * 3, std=[57.375] * 3,
                                   format_shape='NCTHW')))
        model.init_weights()
        def data(views):
            return dict(inputs=[torch.randint(0, 255, (views, 3, 4, 32, 32),
                                              dtype=torch.uint8)] * 2,
                        data_samples=[ActionDataSample().set_gt_label(
                            torch.tensor([1])) for _ in range(2)])
        model.train()
        loss = model(**model.data_preprocessor(data(1), True), mode='loss')
        assert torch.isfinite(loss['loss_cls'])
        model.eval()
        with torch.no_grad():
            pred = model.test_step(data(2))  # two views averaged
        assert pred[0].pred_score.shape == (7, )
        torch.testing.assert_close(pred[0].pred_score.sum(),
                                   torch.tensor(1.))
