"""SupervisedMAE (AdaTosk §3): loss of eq. 2, both branches train, tube
reshaping, deterministic visible-token inference."""
import pytest
import torch
import torch.nn.functional as F
from mmaction.structures import ActionDataSample

from dfertools.registry import MASKERS, MODELS

NUM_CLASSES = 7
TINY_VIT = dict(type='VideoViT', arch=dict(embed_dims=48, num_layers=2,
                                           num_heads=3),
                img_size=64, num_frames=8)  # grid (4, 4, 4)
DECODER = dict(type='MAEDecoder', embed_dims=32, num_layers=1, num_heads=2,
               default_grid=(4, 4, 4))
SOFT_MASK = dict(
    type='AdaptiveTemporalSoftMask',
    class_agnostic=dict(type='ClassAgnosticSoftMask', top_k=2),
    class_semantic=dict(type='ClassSemanticSoftMask', top_r=2))


def build(soft_mask=SOFT_MASK, **kwargs):
    torch.manual_seed(0)
    cfg = dict(type='SupervisedMAE', backbone=TINY_VIT,
               masker=dict(type='TubeMasker', mask_ratio=0.7),
               decoder=DECODER,
               cls_head=dict(type='SoftMaskClsHead', num_classes=NUM_CLASSES,
                             soft_mask=soft_mask))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=4, seed=0, labels=True):
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (1, 3, 8, 64, 64), dtype=torch.uint8,
                            generator=g) for _ in range(n)]
    samples = []
    for i in range(n):
        ds = ActionDataSample()
        if labels:
            ds.set_gt_label(i % NUM_CLASSES)
        ds.set_metainfo(dict(video_id=f'v{i}.mp4', view_id=0))
        samples.append(ds)
    return dict(inputs=inputs, data_samples=samples)


def test_loss_is_eq2_with_independent_ce():
    model = build(lambda_rec=1.0, lambda_cls=0.1)
    data = model.data_preprocessor(batch(), True)
    torch.manual_seed(1)
    losses = model(**data, mode='loss')
    assert {'loss_rec', 'loss_cls', 'acc_cls'} <= set(losses)
    # recompute both terms from the same hard mask (same RNG draw)
    torch.manual_seed(1)
    x = model._clips(data['inputs'])
    out = model.masked_pass(x)  # the pretrainer's own pass
    rec = model.rec_loss(out['pred'], model.raw_clip(x),
                         out['masks'].masked_idx)['loss']
    b, nv, d = out['latent'].shape
    assert nv == 4 * (16 - int(0.7 * 16))  # n_t * n_s, tube mask rho 0.7
    logits = model.cls_head(out['latent'].reshape(b, 4, nv // 4, d))
    labels = torch.tensor([i % NUM_CLASSES for i in range(b)])
    torch.testing.assert_close(losses['loss_rec'], 1.0 * rec)
    torch.testing.assert_close(losses['loss_cls'],
                               0.1 * F.cross_entropy(logits, labels))
    assert not losses['acc_cls'].requires_grad


def test_lambdas_scale_the_terms():
    data = build().data_preprocessor(batch(), True)
    parts = []
    for lr, lc in ((1.0, 0.1), (2.0, 0.5)):
        model = build(lambda_rec=lr, lambda_cls=lc)
        torch.manual_seed(3)
        parts.append(model(**data, mode='loss'))
    torch.testing.assert_close(parts[1]['loss_rec'],
                               2.0 * parts[0]['loss_rec'])
    torch.testing.assert_close(parts[1]['loss_cls'],
                               5.0 * parts[0]['loss_cls'])


def _grads(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    return {n: p.grad for n, p in model.named_parameters()}


def test_encoder_gets_gradients_from_both_losses():
    model = build()
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    g_rec = _grads(model, losses['loss_rec'])
    g_cls = _grads(model, losses['loss_cls'])
    enc = 'backbone.blocks.0.attn.qkv.weight'
    assert g_rec[enc] is not None and float(g_rec[enc].abs().sum()) > 0
    assert g_cls[enc] is not None and float(g_cls[enc].abs().sum()) > 0
    assert not torch.allclose(g_rec[enc], g_cls[enc])
    # the branches are separate: reconstruction does not reach the head,
    # classification does not reach the decoder
    assert all(g is None for n, g in g_rec.items()
               if n.startswith('cls_head.'))
    assert all(g is None for n, g in g_cls.items()
               if n.startswith('decoder.'))
    for n in ('cls_head.soft_mask.class_agnostic.theta.0.weight',
              'cls_head.soft_mask.class_semantic.proj.weight',
              'cls_head.mlp.fc1.weight'):
        assert float(g_cls[n].abs().sum()) > 0, n


def test_train_step_updates_both_branches():
    from mmengine.optim import OptimWrapper
    model = build()
    ow = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    logs = [model.train_step(batch(seed=s), ow) for s in range(2)]
    for log in logs:
        assert all(torch.isfinite(v).all() for v in log.values())
        assert {'loss', 'loss_rec', 'loss_cls', 'acc_cls'} <= set(log)
    changed = {n for n, p in model.named_parameters()
               if not torch.equal(p, before[n])}
    for prefix in ('backbone.', 'decoder.', 'cls_head.mlp.',
                   'cls_head.soft_mask.class_agnostic.',
                   'cls_head.soft_mask.class_semantic.'):
        assert any(n.startswith(prefix) for n in changed), prefix


def test_no_soft_mask_is_mean_of_visible_tokens():
    model = build(soft_mask=None)
    model.eval()
    x = model.data_preprocessor(batch(), False)['inputs']
    tokens, info = model.classify(model._clips(x), model.eval_masker)
    assert tokens.shape == (4, 4, 16 - int(0.7 * 16), 48)
    torch.testing.assert_close(model.cls_head(tokens),
                               model.cls_head.mlp(tokens.mean((1, 2))))


def test_predict_deterministic_probabilities():
    model = build()
    model.eval()
    data = batch(n=3)
    out1 = model.val_step(data)
    torch.manual_seed(123)
    out2 = model.val_step(batch(n=3))
    for a, b in zip(out1, out2):
        assert a.pred_score.shape == (NUM_CLASSES, )
        torch.testing.assert_close(a.pred_score.sum(), torch.tensor(1.0))
        torch.testing.assert_close(a.pred_score, b.pred_score)
        assert a.metainfo['video_id'] == b.metainfo['video_id']
        assert int(a.pred_label) == int(a.pred_score.argmax())
    maps = model.soft_mask_maps(model.data_preprocessor(batch(n=2),
                                                        False)['inputs'])
    assert maps['visible_idx'].shape == (2, 4 * 5)
    assert maps['class_semantic'].shape == (2, 4, 5)
    assert maps['class_agnostic'].shape == (2, 4, 5)


def test_eval_ratio_zero_uses_every_token():
    data = batch(n=2)
    scores = []
    for eval_masker in (dict(type='FixedTubeMasker', mask_ratio=0.0), None):
        model = build(eval_masker=eval_masker)
        model.eval()
        scores.append(torch.stack([d.pred_score
                                   for d in model.val_step(data)]))
        x = model.data_preprocessor(data, False)['inputs']
        tokens, _ = model.classify(model._clips(x), model.eval_masker)
        assert tokens.shape[1:3] == (4, 16)
    torch.testing.assert_close(scores[0], scores[1])


def test_clear_errors():
    # refused when built, naming the config key ...
    with pytest.raises(ValueError, match=r"model\.masker\.type='RandomMasker'"
                       r'.*tube_structure'):
        build(masker=dict(type='RandomMasker', mask_ratio=0.7))
    with pytest.raises(ValueError, match=r'model\.eval_masker\.type=.*'
                       'deterministic_eval'):
        build(eval_masker=dict(type='TubeMasker', mask_ratio=0.7))
    # ... and a masker swapped in afterwards still fails at the loss step
    model = build()
    model.masker = MASKERS.build(dict(type='RandomMasker', mask_ratio=0.7))
    data = model.data_preprocessor(batch(), True)
    with pytest.raises(ValueError, match='tube'):
        model(**data, mode='loss')
    model = build()
    data = model.data_preprocessor(batch(labels=False), True)
    with pytest.raises(ValueError, match='gt_label'):
        model(**data, mode='loss')


def test_inference_flops_scale_with_visible_tokens():
    """The eval hard mask is where AdaTosk saves compute: ratio 0.7 keeps
    about 30% of the tokens (counted on the meta device)."""
    from dfertools.benchmark.flops import count_flops
    flops = {}
    x = torch.zeros(1, 3, 8, 64, 64, device='meta')
    for ratio in (0.7, 0.0):
        with torch.device('meta'):
            model = build(eval_masker=dict(type='FixedTubeMasker',
                                           mask_ratio=ratio)).eval()
        with torch.no_grad():
            total, logits = count_flops(model.logits, x)
            embed, _ = count_flops(model.backbone.embed, x)
        assert logits.shape == (1, NUM_CLASSES)
        flops[ratio] = total - embed  # the tubelet embedding sees every token
    # 5 of 16 tokens per slice visible; attention is quadratic, so a bit less
    assert 0.15 < flops[0.7] / flops[0.0] < 5 / 16 + 0.02


def test_pretraining_checkpoint_hands_off():
    """A MaskedVideoPretrainer state (deeper decoder) initialises the
    encoder and decoder; only the classification branch is new."""
    torch.manual_seed(0)
    pre = MODELS.build(dict(
        type='MaskedVideoPretrainer', backbone=TINY_VIT,
        masker=dict(type='TubeMasker', mask_ratio=0.9),
        decoder=dict(DECODER, num_layers=2)))
    model = build()
    res = model.load_state_dict(pre.state_dict(), strict=False)
    assert res.missing_keys and all(k.startswith('cls_head.')
                                    for k in res.missing_keys)
    assert res.unexpected_keys and all(k.startswith('decoder.blocks.1.')
                                       for k in res.unexpected_keys)
    torch.testing.assert_close(model.backbone.blocks[1].attn.qkv.weight,
                               pre.backbone.blocks[1].attn.qkv.weight)


def test_mask_ratio_zero_trains_the_classifier_alone():
    """TubeMasker(mask_ratio=0): every token is visible, L_rec is 0 (not
    NaN) and the classification branch still trains."""
    model = build(masker=dict(type='TubeMasker', mask_ratio=0.0))
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    assert losses['loss_rec'].item() == 0.0
    assert torch.isfinite(losses['loss_cls'])
    (losses['loss_rec'] + losses['loss_cls']).backward()
    grads = [p.grad for p in model.backbone.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
