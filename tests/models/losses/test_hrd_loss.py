"""HRD policy loss (hi2m eq. 7)."""
import numpy as np
import torch

from dfertools.models.losses import HRDPolicyLoss
from dfertools.models.maskers import HRDMasker


def test_policy_loss_matches_loop():
    torch.manual_seed(0)
    log_prob = torch.log_softmax(torch.randn(3, 10), -1)
    masked = torch.stack([torch.randperm(10)[:4].sort().values
                          for _ in range(3)])
    per_token = torch.rand(3, 4)
    got = HRDPolicyLoss(loss_weight=1e-4)(log_prob, masked, per_token)
    want = 0.0
    for j in range(3):
        for k, i in enumerate(masked[j].tolist()):
            want -= log_prob[j, i].item() * per_token[j, k].item()
    np.testing.assert_allclose(got.item(), 1e-4 * want, rtol=1e-5)


def test_gradient_reaches_policy_not_encoder():
    torch.manual_seed(0)
    masker = HRDMasker(0.5, embed_dims=16, num_heads=2)
    encoder = torch.nn.Linear(16, 16)  # stands in for the MAE
    tokens = encoder(torch.randn(2, 8, 16))
    out = masker(tokens, (2, 2, 2))
    per_token = (tokens.gather(1, out.masked_idx[..., None].expand(-1, -1, 16))
                 ** 2).mean(-1)  # a reconstruction loss that depends on MAE
    HRDPolicyLoss(1.0)(out.log_prob, out.masked_idx, per_token).backward()
    assert encoder.weight.grad is None
    assert masker.head.weight.grad is not None
    assert masker.head.weight.grad.abs().sum() > 0
    assert masker.block.attn.qkv.weight.grad.abs().sum() > 0


def test_policy_gradient_step_raises_p_on_rewarded_tokens():
    torch.manual_seed(0)
    masker = HRDMasker(0.5, embed_dims=16, num_heads=2)
    opt = torch.optim.SGD(masker.parameters(), lr=0.05)
    tokens = torch.randn(4, 8, 16)
    out = masker(tokens, (2, 2, 2))
    rewarded = torch.zeros(4, 8, dtype=torch.bool)
    rewarded.scatter_(1, out.masked_idx[:, :2], True)  # reward 2 masked each
    reward = rewarded.gather(1, out.masked_idx).float()
    p_before = out.log_prob.exp().detach()
    loss = HRDPolicyLoss(1.0)(out.log_prob, out.masked_idx, reward)
    opt.zero_grad()
    loss.backward()
    opt.step()
    p_after = masker.log_probs(tokens).exp().detach()
    gain = ((p_after - p_before) * rewarded).sum(-1)  # per sample
    assert (gain > 0).all(), gain
