"""Hard Sample Mining (hi2m eq. 2-4) against the formula."""
import math

import numpy as np
import torch

from dfertools.models.losses import HardSampleMining
from dfertools.models.losses.hsm import batch_stats


def test_weights_match_formula():
    losses = torch.tensor([0.5, 1.0, 2.0, 0.25], requires_grad=True)
    hsm = HardSampleMining()
    total, w = hsm(losses)
    x = np.array([0.5, 1.0, 2.0, 0.25])
    mu, sigma = x.mean(), x.std()  # population std (eq. 2)
    want_w = np.log1p(np.exp((x - mu) / (sigma + 1e-6)))  # eq. 3
    np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-5)
    np.testing.assert_allclose(total.item(), (want_w * x).sum(), rtol=1e-5)
    assert not w.requires_grad  # detached weights
    total.backward()
    # d L_HSM / d L_i = w_i because the weights are constants
    np.testing.assert_allclose(losses.grad.numpy(), want_w, rtol=1e-5)


def test_batch_of_one_and_equal_losses():
    _, w = HardSampleMining()(torch.tensor([3.0]))
    assert math.isclose(w.item(), math.log(2), rel_tol=1e-6)
    total, w = HardSampleMining()(torch.full((5, ), 0.7))
    assert torch.isfinite(total) and torch.allclose(
        w, torch.full((5, ), math.log(2)))


def test_mean_reduction_and_stats_without_dist():
    losses = torch.tensor([1.0, 3.0])
    mu, sigma = batch_stats(losses, global_stats=True)  # no process group
    assert mu.item() == 2.0 and sigma.item() == 1.0
    s, _ = HardSampleMining(reduction='sum')(losses)
    m, _ = HardSampleMining(reduction='mean')(losses)
    assert torch.isclose(s, 2 * m)


def _dist_worker(rank, world, init_file, result_file):
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=world)
    local = [torch.tensor([1.0, 2.0, 6.0]), torch.tensor([3.0])][rank]
    _, w = HardSampleMining(global_stats=True)(local)
    torch.save(w, f'{result_file}.{rank}')
    dist.destroy_process_group()


def test_global_stats_across_two_ranks(tmp_path):
    import torch.multiprocessing as mp
    mp.spawn(_dist_worker, args=(2, str(tmp_path / 'init'),
                                 str(tmp_path / 'w')), nprocs=2)
    x = np.array([1.0, 2.0, 6.0, 3.0])  # the global batch, unequal shards
    want = np.log1p(np.exp((x - x.mean()) / (x.std() + 1e-6)))
    got = np.concatenate([
        torch.load(tmp_path / f'w.{r}', weights_only=True).numpy()
        for r in range(2)])
    np.testing.assert_allclose(got, want, rtol=1e-5)
