"""LGIFormer (mae_dfer §3.4): region partition, block equations, visible
tokens, sizes (Tables 3 and 9)."""
import math

import pytest
import torch
from einops import rearrange

from dfertools.models.layers.fused_attn import fused_attn
from dfertools.models.backbones import LGIFormer
from dfertools.models.backbones.lgi_regions import (partition, region_of,
                                                    region_order, unpartition)

torch.set_num_threads(1)


def tiny(**kw):
    cfg = dict(arch=dict(embed_dims=48, num_layers=2, num_heads=3),
               img_size=32, num_frames=8, region_size=(2, 1, 2))
    cfg.update(kw)
    return LGIFormer(**cfg).eval()


def test_partition_matches_reference_rearrange_and_inverts():
    grid, rs = (4, 4, 6), (2, 2, 3)
    n = 4 * 4 * 6
    x = torch.randn(2, n, 5)
    idx = torch.arange(n).expand(2, -1)
    perm = region_order(idx, grid, rs)
    parts = partition(x, perm, 8)
    ref = rearrange(x, 'b (nt t nh h nw w) c -> b (nt nh nw) (t h w) c',
                    nt=2, t=2, nh=2, h=2, nw=2, w=3)
    assert torch.equal(parts, ref)
    assert torch.equal(unpartition(parts, perm), x)
    # a permutation: every index exactly once
    assert torch.equal(perm.sort(dim=1).values, idx)


def test_partition_of_visible_subset_is_exact_permutation():
    grid, rs = (2, 2, 4), (1, 2, 2)   # 4 regions of 4 tokens
    g = torch.Generator().manual_seed(0)
    # region r holds flat indices whose region id is r; keep 2 per region
    ro = region_of(grid, rs)
    idx = []
    for b in range(3):
        keep = [torch.nonzero(ro == r).flatten()[torch.randperm(
            4, generator=g)[:2]] for r in range(4)]
        idx.append(torch.cat(keep).sort().values)
    idx = torch.stack(idx)
    perm = region_order(idx, grid, rs)
    x = torch.randn(3, 8, 4)
    parts = partition(x, perm, 4)
    regions = ro[idx.gather(1, perm)].view(3, 4, 2)
    assert torch.equal(regions, torch.arange(4)[None, :, None].expand(3, 4, 2))
    assert torch.equal(unpartition(parts, perm), x)


def test_unequal_visible_counts_error():
    m = tiny()
    tokens, grid = m.embed(torch.randn(1, 3, 8, 32, 32))
    bad = torch.arange(8)[None]  # all in the first regions
    with pytest.raises(ValueError, match='equal number of visible tokens'):
        m.encode(tokens, grid, bad)


def ref_attention(mod, x, ctx):
    """Independent eq. 13-14 with q_bias, zero k bias, v_bias."""
    d = mod.dim // mod.num_heads
    wk, wv = mod.kv.weight.chunk(2)
    q = x @ mod.q.weight.T + mod.q_bias
    k = ctx @ wk.T
    v = ctx @ wv.T + mod.v_bias
    out = []
    for h in range(mod.num_heads):
        s = slice(h * d, (h + 1) * d)
        w = torch.softmax(q[..., s] @ k[..., s].transpose(-1, -2) /
                          math.sqrt(d), -1)
        out.append(w @ v[..., s])
    return torch.cat(out, -1) @ mod.proj.weight.T + mod.proj.bias


def ref_encode(m, tokens, grid, idx):
    """Plain per-region loop over eq. 3-12 for one sample."""
    t, h, w = grid
    rt, rh, rw = m.region_size
    regions = []
    for a in range(t // rt):
        for b in range(h // rh):
            for c in range(w // rw):
                flat = [(i * h + j) * w + k for i in range(a * rt, a * rt + rt)
                        for j in range(b * rh, b * rh + rh)
                        for k in range(c * rw, c * rw + rw)]
                regions.append([f for f in flat if f in idx])
    S = [m.lg_region_tokens[r] for r in range(len(regions))]
    X = [tokens[r] for r in regions]
    for blk in m.blocks:
        for r in range(len(regions)):  # eq. 3-4
            cat = torch.cat([S[r][None], X[r]])
            cat = cat + ref_attention(blk.first_attn,
                                      blk.first_attn_norm0(cat),
                                      blk.first_attn_norm0(cat))
            S[r], X[r] = cat[0], cat[1:]
        Sm = torch.stack(S)  # eq. 8-9
        Sm = Sm + ref_attention(blk.second_attn, blk.second_attn_norm0(Sm),
                                blk.second_attn_norm0(Sm))
        kv = blk.third_attn_norm1(Sm)
        for r in range(len(regions)):  # eq. 10-11
            X[r] = X[r] + ref_attention(blk.third_attn,
                                        blk.third_attn_norm0(X[r]), kv)
            X[r] = X[r] + blk.mlp(blk.norm2(X[r]))
        Sm = Sm + blk.mlp(blk.norm2(Sm))  # eq. 12
        S = list(Sm)
    out = torch.zeros(len(idx), tokens.shape[-1])
    order = {f: i for i, f in enumerate(idx)}
    for r, fl in enumerate(regions):
        for j, f in enumerate(fl):
            out[order[f]] = X[r][j]
    return m.norm(out), m.norm(torch.stack(S))


@pytest.mark.parametrize('fused', [True, False])
def test_block_equations_against_loop(fused):
    with fused_attn(fused):
        _check_block_equations_against_loop()


def _check_block_equations_against_loop():
    torch.manual_seed(0)
    m = tiny()
    for blk in m.blocks:
        for att in (blk.first_attn, blk.second_attn, blk.third_attn):
            torch.nn.init.normal_(att.q_bias)
            torch.nn.init.normal_(att.v_bias)
    x = torch.randn(2, 3, 8, 32, 32)
    tokens, grid = m.embed(x)  # grid 4x2x2, regions 2x1x2 -> 4 regions
    with torch.no_grad():
        local, rep = m.encode_all(tokens, grid)
        # visible subset: 2 of the 4 tokens in every region, natural order
        idx = torch.tensor([[0, 2, 5, 7, 8, 11, 13, 15],
                            [1, 3, 4, 6, 9, 10, 12, 14]])
        vlocal, vrep = m.encode_all(tokens, grid, idx)
        for b in range(2):
            ref_l, ref_r = ref_encode(m, tokens[b], grid, list(range(16)))
            torch.testing.assert_close(local[b], ref_l, rtol=1e-4, atol=1e-4)
            torch.testing.assert_close(rep[b], ref_r, rtol=1e-4, atol=1e-4)
            ref_l, ref_r = ref_encode(m, tokens[b], grid, idx[b].tolist())
            torch.testing.assert_close(vlocal[b], ref_l, rtol=1e-4,
                                       atol=1e-4)
            torch.testing.assert_close(vrep[b], ref_r, rtol=1e-4, atol=1e-4)


def test_sdpa_equals_explicit_and_out_types():
    a = tiny()
    x = torch.randn(2, 3, 8, 32, 32)
    with fused_attn(False):
        explicit = a(x)
    torch.testing.assert_close(a(x), explicit, rtol=1e-5, atol=1e-5)
    assert a(x).shape == (2, 16, 48)
    assert tiny(out_type='rep')(x).shape == (2, 4, 48)
    assert tiny(out_type='avg')(x).shape == (2, 48)
    assert not any('pos' in k for k in a.state_dict())
    assert a.state_dict()['lg_region_tokens'].shape == (4, 48)


def test_grid_errors():
    m = tiny()
    with pytest.raises(ValueError, match='not divisible by region_size'):
        m(torch.randn(1, 3, 8, 32, 48))
    with pytest.raises(ValueError, match='representative tokens'):
        m(torch.randn(1, 3, 16, 32, 32))


def test_layer_depth():
    m = tiny()
    assert m.get_layer_depth('lg_region_tokens') == (3, 3)
    assert m.get_layer_depth('patch_embed.proj.bias') == (0, 3)
    assert m.get_layer_depth('blocks.1.third_attn.kv.weight') == (2, 3)


@pytest.mark.parametrize('arch,kw,params', [
    ('tiny', {}, 21.5), ('small', {}, 47.9), ('base', {}, 84.9),
    ('base', dict(inter=False, interaction=False), 51.2),
    ('base', dict(interaction=False), 68.0),
    ('base', dict(inter=False), 68.1),
])
def test_paper_parameter_counts(arch, kw, params):
    """mae_dfer Table 9 (sizes) and Table 3 (ablations), encoder only."""
    with torch.device('meta'):
        m = LGIFormer(arch, **kw)
    n = sum(p.numel() for p in m.parameters()) / 1e6
    assert abs(n - params) < 0.05, n


def test_full_region_order_equals_checked_order():
    from dfertools.models.backbones.lgi_regions import full_region_order
    grid, rs = (8, 10, 10), (2, 5, 10)
    idx = torch.arange(800).expand(2, -1)
    assert torch.equal(full_region_order(grid, rs).expand(2, -1),
                       region_order(idx, grid, rs))


def test_train_token_drop_is_drawn_region_by_region():
    # grid 4 x 2 x 2, regions 2 x 1 x 2: 4 regions of 4 tokens; drop 0.5
    # -> 2 tokens of every region
    m = tiny(train_token_drop=0.5).train()
    x = torch.randn(3, 3, 8, 32, 32)
    torch.manual_seed(7)
    out = m(x)
    assert out.shape == (3, 8, 48)
    # independently: per clip and region, the 2 largest of uniform noise
    # over the region's tokens (ascending) are dropped
    torch.manual_seed(7)
    noise = torch.rand(3 * 4, 4)
    ro = region_of((4, 2, 2), (2, 1, 2))
    tokens, grid = m.embed(x)
    for b in range(3):
        kept = []
        for r in range(4):
            members = [i for i in range(16) if ro[i] == r]
            drop = set(noise[b * 4 + r].argsort(descending=True)[:2].tolist())
            kept += [members[j] for j in range(4) if j not in drop]
        ref = m.encode(tokens[b:b + 1], grid, torch.tensor([sorted(kept)]))
        torch.testing.assert_close(out[b:b + 1], ref, rtol=1e-5, atol=1e-5)
    assert m.eval()(x).shape == (3, 16, 48)
    with pytest.raises(ValueError, match='train_token_drop'):
        tiny(train_token_drop=1.0)
