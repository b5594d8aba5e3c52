"""MaskedVideoPretrainer's HI2M loss parts against an independent
reconstruction of the equations (HI2M: Hard Inter- and Intra-sample Masking
for Dynamic Facial Expression Recognition, eq. 1-4, 7-8): the per-token and
per-sample reconstruction losses are recomputed here from the raw clip, the
decoder output and the masked indices the model used."""
import torch
import torch.nn.functional as F

from dfertools.registry import MODELS
from tests.fixtures.tiny_pretrainer import FAMILIES, batch

LAMBDA = 1e-4   # HRDPolicyLoss default (eq. 8)


def _build(**overrides):
    torch.manual_seed(0)
    return MODELS.build(dict(type='MaskedVideoPretrainer',
                             **dict(FAMILIES['hi2m'], **overrides)))


def _tubelet_targets(clip):
    """Appearance + motion targets of every 2x16x16 tubelet of a raw
    ``[C, T, H, W]`` clip, in (t, h, w) token order, each ``[2*16*16*C]``
    laid out (frame, row, column, channel): the tubelet's pixels / 255
    normalised per channel by their mean and unbiased std (+1e-6); frame 0
    is the appearance, frame 1 minus frame 0 the motion."""
    c, t, h, w = clip.shape
    out = []
    for ti in range(t // 2):
        for hi in range(h // 16):
            for wi in range(w // 16):
                cube = clip[:, 2 * ti:2 * ti + 2, 16 * hi:16 * hi + 16,
                            16 * wi:16 * wi + 16].double() / 255
                flat = cube.reshape(c, -1)
                norm = (cube - flat.mean(1).view(c, 1, 1, 1)) / (
                    flat.std(1, unbiased=True).view(c, 1, 1, 1) + 1e-6)
                frames = norm.permute(1, 2, 3, 0)      # [2, 16, 16, C]
                out.append(torch.stack([frames[0], frames[1] - frames[0]])
                           .reshape(-1))
    return torch.stack(out)


def _run(model, data):
    """``model(mode='loss')`` plus what it used: masks, decoder output."""
    seen = {}
    hooks = [model.masker.register_forward_hook(
                 lambda m, i, o: seen.__setitem__('masks', o)),
             model.decoder.register_forward_hook(
                 lambda m, i, o: seen.__setitem__('pred', o))]
    try:
        losses = model(**model.data_preprocessor(data, True), mode='loss')
    finally:
        for h in hooks:
            h.remove()
    return losses, seen['masks'], seen['pred']


def _per_token(data, masks, pred):
    """Independent L_R per masked token ``[B, Nm]`` (eq. 1 with the
    appearance/motion target, weights 0.5/0.5)."""
    rows = []
    for j, clip in enumerate(data['inputs']):
        target = _tubelet_targets(clip[0])[masks.masked_idx[j]]
        err = (pred[j].double() - target).pow(2)
        half = err.shape[-1] // 2
        rows.append(0.5 * err[:, :half].mean(-1) + 0.5 * err[:, half:].mean(-1))
    return torch.stack(rows)


def test_loss_rec_is_hsm_of_an_independent_per_sample_loss():
    """eq. 2-4: L_HSM = sum_i softplus((L_i - mu) / sigma) L_i with batch
    mean and population std; ``rec_unweighted`` is the plain mean."""
    model = _build()
    data = batch(4, seed=3)
    losses, masks, pred = _run(model, data)
    per_sample = _per_token(data, masks, pred.detach()).mean(-1)  # eq. 1
    mu, sigma = per_sample.mean(), per_sample.std(unbiased=False)
    w = F.softplus((per_sample - mu) / (sigma + 1e-6))
    assert w.std() > 0.1            # the weights are far from uniform
    expected = (w * per_sample).sum()
    assert torch.allclose(losses['loss_rec'].double(), expected, rtol=1e-5)
    assert torch.allclose(losses['rec_unweighted'].double(),
                          per_sample.mean(), rtol=1e-5)
    assert torch.allclose(losses['hsm_weight_std'].double(),
                          w.std(unbiased=False), rtol=1e-4)


def test_loss_hrd_is_minus_lambda_sum_log_p_masked_times_token_loss():
    """eq. 7-8: loss_hrd = -lambda sum_j sum_{i masked in j} log P_ij
    sg(L_R^{ij}), summed (not averaged) over the batch."""
    model = _build()
    data = batch(3, seed=4)
    losses, masks, pred = _run(model, data)
    per_token = _per_token(data, masks, pred.detach())
    log_p = masks.log_prob.detach().double().gather(1, masks.masked_idx)
    expected = -LAMBDA * (log_p * per_token).sum()
    assert expected > 0             # log P < 0, L_R > 0
    assert torch.allclose(losses['loss_hrd'].double(), expected, rtol=1e-5)


def test_one_policy_step_raises_p_on_high_loss_masked_tokens():
    """Minimising L_HRD moves probability towards the masked tokens that
    were hard to reconstruct: after one SGD step on the policy alone, the
    loss-weighted log-likelihood of the masked tokens and the probability
    of the above-median-loss masked tokens both rise."""
    model = _build(hrd_loss=dict(type='HRDPolicyLoss', loss_weight=1.0))
    data = batch(3, seed=5)
    losses, masks, pred = _run(model, data)
    per_token = _per_token(data, masks, pred.detach()).float()
    hard = per_token > per_token.median(dim=1, keepdim=True).values
    x = model._clips(model.data_preprocessor(data, True)['inputs'])
    tokens = model.backbone.embed(x)[0].detach()

    def scores():
        with torch.no_grad():
            log_p = model.masker.log_probs(tokens).gather(1, masks.masked_idx)
        return (per_token * log_p).sum(), (log_p.exp() * hard).sum()

    weighted_before, p_hard_before = scores()
    opt = torch.optim.SGD(model.masker.parameters(), lr=1e-3)
    losses['loss_hrd'].backward()
    opt.step()
    weighted_after, p_hard_after = scores()
    assert weighted_after > weighted_before
    assert p_hard_after > p_hard_before
