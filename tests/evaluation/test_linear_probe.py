"""The linear probe (dfertools/evaluation/linear_probe.py)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dfertools.evaluation.linear_probe import (class_balanced_weights,
                                               fit_logistic, linear_probe,
                                               standardise)


def test_class_balanced_weights():
    w = class_balanced_weights(np.array([0, 0, 0, 1, 2, 2]), 4)
    raw = np.array([1 / 3, 1, 1 / 2])
    np.testing.assert_allclose(w.numpy()[:3], raw / raw.mean(), rtol=1e-6)
    assert w[3] == 0   # an absent class gets no weight


def test_fit_reaches_the_optimum():
    """At the returned (W, b) the gradient of the penalised, class-weighted
    cross-entropy (computed here independently) vanishes."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 5, generator=g)
    y = (x[:, 0] + 0.5 * torch.randn(300, generator=g) > 0).long() \
        + (x[:, 1] > 1).long()
    W, b = fit_logistic(x, y, 3, weight_decay=1e-2)
    W, b = W.clone().requires_grad_(), b.clone().requires_grad_()
    counts = torch.bincount(y, minlength=3).double()
    cw = (1 / counts) / (1 / counts).mean()
    logp = F.log_softmax(x.double() @ W.double() + b.double(), -1)
    nll = -(cw[y] * logp[torch.arange(300), y]).sum() / cw[y].sum()
    obj = nll + 1e-2 * W.double().pow(2).sum()
    gw, gb = torch.autograd.grad(obj, [W, b])
    assert gw.abs().max() < 1e-4 and gb.abs().max() < 1e-4


def _views(x, labels, prefix):
    meta = [dict(video_id=f'{prefix}{i // 2}', view_id=i % 2,
                 label=int(labels[i])) for i in range(len(labels))]
    return torch.as_tensor(x, dtype=torch.float32), meta


def test_probe_separates_informative_features_not_noise():
    rng = np.random.default_rng(0)
    n, d = 400, 16
    labels = np.repeat(rng.integers(0, 4, n // 2), 2)   # 2 views per video
    centres = rng.normal(0, 2, (4, d))
    good = centres[labels] + rng.normal(0, 1, (n, d))
    noise = rng.normal(0, 1, (n, d))
    test_labels = np.repeat(rng.integers(0, 4, 100), 2)
    good_test = centres[test_labels] + rng.normal(0, 1, (200, d))
    out = linear_probe(*_views(good, labels, 'tr'),
                       *_views(good_test, test_labels, 'te'), 4)
    assert len(out['records']) == 200 and out['weight_decay'] in out['val_uar']
    acc = np.mean([np.argmax(r['probs']) == r['label']
                   for r in out['records']])
    assert acc > 0.9
    out = linear_probe(*_views(noise, labels, 'tr'),
                       *_views(rng.normal(0, 1, (200, d)), test_labels, 'te'),
                       4)
    acc = np.mean([np.argmax(r['probs']) == r['label']
                   for r in out['records']])
    assert acc < 0.45


def test_standardise_uses_training_statistics():
    tr = torch.tensor([[0., 10.], [2., 30.]])
    te = torch.tensor([[1., 20.]])
    a, b = standardise(tr, te)
    assert torch.allclose(a.mean(0), torch.zeros(2), atol=1e-6)
    assert torch.allclose(b, torch.zeros(1, 2), atol=1e-5)


def test_view_split_keeps_videos_together():
    from dfertools.evaluation.linear_probe import _video_split
    meta = [dict(video_id=f'v{i // 3}', view_id=i % 3, label=0)
            for i in range(90)]
    held = _video_split(meta, 0.2, 0)
    for v in range(30):
        assert len(set(held[3 * v:3 * v + 3])) == 1
    assert held.sum() == 18
