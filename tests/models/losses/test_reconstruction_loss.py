"""MaskedReconstructionLoss against an independent numpy computation."""
import numpy as np
import pytest
import torch

from dfertools.models.losses import MaskedReconstructionLoss
from dfertools.models.losses.tubelets import patchify, unpatchify

TUB = (2, 4, 4)


def _np_tubelets(clip, tub):
    """Plain loops: tokens in (t, h, w) order, values as (pt, ph, pw, c)."""
    b, c, t, h, w = clip.shape
    pt, ph, pw = tub
    out = []
    for bi in range(b):
        toks = []
        for ti in range(0, t, pt):
            for hi in range(0, h, ph):
                for wi in range(0, w, pw):
                    cube = clip[bi, :, ti:ti + pt, hi:hi + ph, wi:wi + pw]
                    toks.append(np.transpose(cube, (1, 2, 3, 0)))  # pt ph pw c
        out.append(toks)
    return np.asarray(out, dtype=np.float64)  # b n pt ph pw c


def _np_targets(clip, tub, motion, scale=255.):
    cubes = _np_tubelets(clip / scale, tub)
    b, n = cubes.shape[:2]
    tg = []
    for bi in range(b):
        row = []
        for i in range(n):
            cube = cubes[bi, i]
            flat = cube.reshape(-1, cube.shape[-1])
            mean = flat.mean(0)
            std = flat.std(0, ddof=1)  # unbiased
            z = (cube - mean) / (std + 1e-6)
            if motion:
                row.append(np.concatenate([z[0].ravel(),
                                           (z[1] - z[0]).ravel()]))
            else:
                row.append(z.ravel())
        tg.append(row)
    return np.asarray(tg)


@pytest.fixture
def clip():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(2, 3, 4, 8, 12)).astype(np.float32)


@pytest.mark.parametrize('motion', [False, True])
def test_targets_match_numpy(clip, motion):
    loss = MaskedReconstructionLoss(TUB, motion_target=motion)
    got = loss.targets(torch.from_numpy(clip)).double().numpy()
    want = _np_targets(clip, TUB, motion)
    assert got.shape == want.shape == (2, 2 * 2 * 3, 2 * 16 * 3)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_motion_target_is_frame_difference_over_tubelet_std(clip):
    """motion = (x1 - x0) / (std + eps): the mean cancels."""
    loss = MaskedReconstructionLoss(TUB, motion_target=True)
    got = loss.targets(torch.from_numpy(clip)).double().numpy()
    cubes = _np_tubelets(clip / 255., TUB)
    std = cubes.reshape(2, 12, -1, 3).std(2, ddof=1)  # b n c
    want = (cubes[:, :, 1] - cubes[:, :, 0]) / (std[:, :, None, None] + 1e-6)
    np.testing.assert_allclose(got[..., 48:], want.reshape(2, 12, -1),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('motion', [False, True])
def test_loss_per_token_per_sample(clip, motion):
    rng = np.random.default_rng(1)
    loss = MaskedReconstructionLoss(TUB, motion_target=motion,
                                    appearance_weight=0.3, motion_weight=0.7)
    masked = np.stack([rng.permutation(12)[:5] for _ in range(2)])
    pred = rng.normal(size=(2, 5, 96)).astype(np.float32)
    out = loss(torch.from_numpy(pred), torch.from_numpy(clip),
               torch.from_numpy(masked))
    tg = _np_targets(clip, TUB, motion)
    per_token = np.zeros((2, 5))
    for b in range(2):
        for j, i in enumerate(masked[b]):
            e = (pred[b, j] - tg[b, i])**2
            per_token[b, j] = (0.3 * e[:48].mean() + 0.7 * e[48:].mean()
                               if motion else e.mean())
    np.testing.assert_allclose(out['per_token'].numpy(), per_token,
                               rtol=1e-4)
    np.testing.assert_allclose(out['per_sample'].numpy(),
                               per_token.mean(1), rtol=1e-4)
    np.testing.assert_allclose(out['loss'].item(), per_token.mean(),
                               rtol=1e-4)


def test_unpatchify_inverts_patchify(clip):
    x = torch.from_numpy(clip)
    p = patchify(x, TUB)
    np.testing.assert_array_equal(p.numpy().reshape(2, 12, 2, 4, 4, 3),
                                  _np_tubelets(clip, TUB))
    assert torch.equal(unpatchify(p.flatten(2), (2, 2, 3), TUB, 3), x)


def test_bad_shapes_raise(clip):
    loss = MaskedReconstructionLoss(TUB)
    with pytest.raises(ValueError, match='out_channels'):
        loss(torch.zeros(2, 5, 10), torch.from_numpy(clip),
             torch.zeros(2, 5, dtype=torch.long))
    with pytest.raises(ValueError, match='tubelet'):
        loss.targets(torch.zeros(1, 3, 3, 8, 8))
    with pytest.raises(ValueError, match='temporal tubelet'):
        MaskedReconstructionLoss((1, 4, 4), motion_target=True)


def test_no_masked_token_gives_zero_not_nan(clip):
    """Mask ratio 0 (e.g. AdaTosk's classifier alone): nothing to
    reconstruct; the loss is 0 and backward still runs."""
    loss = MaskedReconstructionLoss(TUB)
    pred = torch.zeros(2, 0, 96, requires_grad=True)
    out = loss(pred, torch.from_numpy(clip),
               torch.zeros(2, 0, dtype=torch.long))
    assert out['per_token'].shape == (2, 0)
    assert torch.equal(out['per_sample'], torch.zeros(2))
    assert out['loss'].item() == 0.0
    out['loss'].backward()
    assert pred.grad is not None and pred.grad.shape == (2, 0, 96)
