"""IBDROSupConLoss (HDF eq. 13-15; docs/design.md,
'IB-DRO SupCon loss') against plain loops."""
import math

import numpy as np
import pytest
import torch

from dfertools.models.losses.ib_dro_supcon import (IBDROSupConLoss,
                                                   covariance_trace)
from dfertools.registry import MODELS


def loop_reference(feats, labels, tau=0.07, eta=0.2, beta=0.1):
    """Eq. 13-15 with python loops in float64 (the reading of
    docs/design.md, 'IB-DRO SupCon loss')."""
    z = [np.asarray(f, dtype=np.float64) for f in feats]
    z = [v / np.linalg.norm(v) for v in z]
    labels = list(labels)
    n = len(z)
    per_anchor = []
    for i in range(n):
        positives = [p for p in range(n) if p != i and labels[p] == labels[i]]
        if not positives:
            continue
        denom = 0.0
        for a in range(n):
            if a == i:
                continue
            c = float(z[i] @ z[a])
            w = 1.0
            if eta is not None and labels[a] != labels[i]:
                w = math.exp(-(c - eta)**2 / (2 * eta**2))
            denom += w * math.exp(c / tau)
        total = 0.0
        for p in positives:
            total += -math.log(math.exp(float(z[i] @ z[p]) / tau) / denom)
        per_anchor.append(total / len(positives))
    loss = sum(per_anchor) / len(per_anchor) if per_anchor else 0.0
    mean = sum(z) / n
    cov = sum(np.outer(v - mean, v - mean) for v in z) / n
    return loss + beta * float(np.trace(cov))


def khosla_supcon(feats, labels, tau=0.07):
    """Supervised contrastive loss, Khosla et al. 2020 (L_out), written in
    their matrix form: logits minus row max, self-contrast masked out of the
    denominator, mean log-prob over positives, mean over anchors."""
    z = torch.nn.functional.normalize(feats.double(), dim=1)
    n = z.shape[0]
    logits = z @ z.t() / tau
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    lab = labels.view(-1, 1)
    mask = (lab == lab.t()).double()
    logits_mask = 1 - torch.eye(n, dtype=torch.float64)
    mask = mask * logits_mask
    exp_logits = torch.exp(logits) * logits_mask
    log_prob = logits - torch.log(exp_logits.sum(1, keepdim=True))
    mean_log_prob_pos = (mask * log_prob).sum(1) / mask.sum(1)
    return (-mean_log_prob_pos).mean()


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('eta', [0.2, 0.05, 0.5, None])
def test_matches_loop(seed, eta):
    g = torch.Generator().manual_seed(seed)
    n, d = 7, 5
    feats = torch.randn(n, d, generator=g)
    # class 3 appears once: an anchor without positives
    labels = torch.tensor([0, 1, 0, 2, 1, 3, 2])
    loss = IBDROSupConLoss(eta=eta)(feats, labels)
    ref = loop_reference(feats.numpy(), labels.tolist(), eta=eta)
    assert loss.item() == pytest.approx(ref, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize('tau,beta', [(0.07, 0.1), (0.5, 0.0), (0.2, 1.0)])
def test_matches_loop_hyperparameters(tau, beta):
    g = torch.Generator().manual_seed(11)
    feats = torch.randn(6, 4, generator=g)
    labels = torch.tensor([1, 1, 0, 0, 0, 2])
    loss = IBDROSupConLoss(temperature=tau, beta=beta)(feats, labels)
    ref = loop_reference(feats.numpy(), labels.tolist(), tau=tau, beta=beta)
    assert loss.item() == pytest.approx(ref, rel=1e-5)


def test_all_one_class():
    g = torch.Generator().manual_seed(3)
    feats = torch.randn(5, 4, generator=g)
    labels = torch.zeros(5, dtype=torch.long)
    loss = IBDROSupConLoss()(feats, labels)
    ref = loop_reference(feats.numpy(), labels.tolist())
    assert loss.item() == pytest.approx(ref, rel=1e-5)
    # no negatives: the weights play no role, eta does not matter
    assert IBDROSupConLoss(eta=0.7)(feats, labels).item() == pytest.approx(
        loss.item(), rel=1e-6)


def test_no_positives_anywhere_gives_only_the_penalty():
    feats = torch.randn(4, 3, requires_grad=True)
    labels = torch.arange(4)
    loss = IBDROSupConLoss(beta=0.1)(feats, labels)
    z = torch.nn.functional.normalize(feats, dim=1)
    assert loss.item() == pytest.approx(0.1 * covariance_trace(z).item(),
                                        rel=1e-6)
    loss.backward()
    assert torch.isfinite(feats.grad).all()
    # a batch of one is finite too
    one = torch.randn(1, 3, requires_grad=True)
    out = IBDROSupConLoss()(one, torch.tensor([2]))
    out.backward()
    assert out.item() == 0.0 and torch.isfinite(one.grad).all()


def test_reduces_to_khosla_supcon():
    g = torch.Generator().manual_seed(5)
    feats = torch.randn(8, 6, generator=g)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])  # every anchor has a pos
    loss = IBDROSupConLoss(eta=None, beta=0.0)(feats, labels)
    assert loss.item() == pytest.approx(
        khosla_supcon(feats, labels).item(), rel=1e-5)


def test_weights_on_cosine_not_similarity():
    """docs/design.md, 'IB-DRO SupCon loss': on s_ij = c/0.07 the Gaussian
    would be ~0 for every pair;
    on the cosine a negative at c = eta has weight exactly 1."""
    z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.2, math.sqrt(1 - 0.04)]])
    labels = torch.tensor([0, 0, 1])
    # anchor 0: positive 1 (c = 1), negative 2 at c = 0.2 = eta -> w = 1
    weighted = IBDROSupConLoss(eta=0.2, beta=0.0).contrastive(z, labels)
    plain = IBDROSupConLoss(eta=None, beta=0.0).contrastive(z, labels)
    assert weighted.item() == pytest.approx(plain.item(), rel=1e-6)


def test_covariance_trace_matches_numpy():
    z = torch.randn(6, 4, dtype=torch.float64)
    ref = np.trace(np.cov(z.numpy().T, bias=True))
    assert covariance_trace(z).item() == pytest.approx(ref, rel=1e-10)


def test_registry_and_errors():
    loss = MODELS.build(dict(type='IBDROSupConLoss', eta=0.3))
    assert loss.eta == 0.3
    with pytest.raises(ValueError, match='feats'):
        loss(torch.randn(3, 2), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='temperature'):
        IBDROSupConLoss(temperature=0)
