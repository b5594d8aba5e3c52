"""VideoViT and the shared layers (docs/design.md, 'VideoViT')."""
import math

import numpy as np
import pytest
import torch

from dfertools.models.layers.fused_attn import fused_attn
from dfertools.models.backbones import VideoViT
from dfertools.models.layers import (Attention, CrossAttention,
                                     sinusoid_table)
from dfertools.registry import MODELS

torch.set_num_threads(1)


def tiny(**kw):
    cfg = dict(arch=dict(embed_dims=48, num_layers=2, num_heads=3),
               img_size=32, num_frames=4)
    cfg.update(kw)
    return VideoViT(**cfg).eval()


def numpy_table(n, d):
    out = np.zeros((n, d))
    for p in range(n):
        for j in range(d):
            angle = p / np.power(10000, 2 * (j // 2) / d)
            out[p, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return out


@pytest.mark.parametrize('t,h,w', [(4, 32, 32), (2, 32, 48), (8, 16, 32)])
def test_shapes_for_several_grids(t, h, w):
    m = tiny()
    x = torch.randn(2, 3, t, h, w)
    tokens, grid = m.embed(x)
    n = (t // 2) * (h // 16) * (w // 16)
    assert grid == (t // 2, h // 16, w // 16)
    assert tokens.shape == (2, n, 48)
    assert m(x).shape == (2, n, 48)
    assert tiny(out_type='avg')(x).shape == (2, 48)


def test_registered_and_arch_zoo():
    m = MODELS.build(dict(type='VideoViT', arch='small', img_size=32,
                          num_frames=4))
    assert (m.embed_dims, m.num_layers, m.num_heads) == (384, 12, 6)
    with pytest.raises(ValueError, match='unknown arch'):
        VideoViT(arch='huge')
    with pytest.raises(ValueError, match='out_type'):
        tiny(out_type='cls')


def test_position_table_not_in_state_dict_and_matches_formula():
    m = tiny()
    assert not any('pos' in k for k in m.state_dict())
    ref = numpy_table(40, 48)
    np.testing.assert_allclose(sinusoid_table(40, 48).numpy(), ref,
                               atol=1e-6)
    # the embedding adds exactly that table for a non-default grid
    x = torch.randn(1, 3, 4, 32, 80)   # grid 2x2x5 = 20 tokens
    raw, grid = m.patch_embed(x)
    emb, _ = m.embed(x)
    np.testing.assert_allclose((emb - raw)[0].detach().numpy(),
                               ref[:20], atol=1e-5)


def test_visible_subset_equals_encoding_only_those_tokens():
    m = tiny()
    x = torch.randn(2, 3, 4, 32, 32)
    tokens, grid = m.embed(x)
    idx = torch.tensor([[0, 2, 3, 7], [1, 4, 5, 6]])
    out = m.encode(tokens, grid, idx)
    for b in range(2):
        sub = tokens[b:b + 1, idx[b]]
        ref = m.encode(sub, grid)   # a plain sequence of only those tokens
        torch.testing.assert_close(out[b:b + 1], ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(m(x, idx), out)


def test_visible_idx_bad_shape():
    m = tiny()
    tokens, grid = m.embed(torch.randn(2, 3, 4, 32, 32))
    with pytest.raises(ValueError, match='visible_idx'):
        m.encode(tokens, grid, torch.tensor([0, 1]))


def test_train_token_drop_encodes_a_random_subset_in_training_only():
    # 2 x 2 x 2 = 8 tokens; drop 0.6 -> floor(4.8) = 4 dropped, 4 kept
    m = tiny(train_token_drop=0.6).train()
    x = torch.randn(3, 3, 4, 32, 32)
    torch.manual_seed(5)
    out = m(x)
    assert out.shape == (3, 4, 48)
    # the draw, independently: the 4 largest of uniform noise are dropped
    torch.manual_seed(5)
    noise = torch.rand(3, 8)
    tokens, grid = m.embed(x)
    for b in range(3):
        dropped = set(noise[b].argsort(descending=True)[:4].tolist())
        kept = [i for i in range(8) if i not in dropped]
        ref = m.encode(tokens[b:b + 1, kept], grid)
        torch.testing.assert_close(out[b:b + 1], ref, rtol=1e-5, atol=1e-5)
    # evaluation, and a given visible_idx (masked pretraining), keep theirs
    full = tiny()
    full.load_state_dict(m.state_dict())
    torch.testing.assert_close(m.eval()(x), full(x))
    idx = torch.tensor([[0, 1, 2, 3, 4, 5]] * 3)
    assert m.train()(x, idx).shape == (3, 6, 48)


@pytest.mark.parametrize('bad', [-0.1, 1.0, 1.5])
def test_train_token_drop_out_of_range(bad):
    with pytest.raises(ValueError, match='train_token_drop'):
        tiny(train_token_drop=bad)


def test_sdpa_equals_explicit():
    torch.manual_seed(0)
    a = tiny()
    x = torch.randn(2, 3, 4, 32, 32)
    with fused_attn(True):
        fused = a(x)
    with fused_attn(False):
        explicit = a(x)
    torch.testing.assert_close(fused, explicit, rtol=1e-5, atol=1e-5)


def test_attention_equations_against_loop():
    """mae_dfer eq. 5-7 / 13-14 with q_bias, zero k bias, v_bias."""
    torch.manual_seed(0)
    dim, heads = 12, 3
    for cls in (Attention, CrossAttention):
        attn = cls(dim, heads).eval()
        torch.nn.init.normal_(attn.q_bias)
        torch.nn.init.normal_(attn.v_bias)
        x = torch.randn(1, 5, dim)
        ctx = torch.randn(1, 3, dim) if cls is CrossAttention else x
        if cls is Attention:
            wq, wk, wv = attn.qkv.weight.chunk(3)
            out = attn(x)
        else:
            wq = attn.q.weight
            wk, wv = attn.kv.weight.chunk(2)
            out = attn(x, ctx)
        q = x[0] @ wq.T + attn.q_bias
        k = ctx[0] @ wk.T
        v = ctx[0] @ wv.T + attn.v_bias
        d = dim // heads
        heads_out = []
        for h in range(heads):
            s = slice(h * d, (h + 1) * d)
            w = torch.softmax(q[:, s] @ k[:, s].T / math.sqrt(d), dim=-1)
            heads_out.append(w @ v[:, s])
        ref = torch.cat(heads_out, -1) @ attn.proj.weight.T + attn.proj.bias
        torch.testing.assert_close(out[0], ref, rtol=1e-5, atol=1e-5)


def test_layer_depth():
    m = tiny()
    assert m.get_layer_depth('patch_embed.proj.weight') == (0, 3)
    assert m.get_layer_depth('blocks.1.attn.qkv.weight') == (2, 3)
    assert m.get_layer_depth('norm.weight') == (3, 3)
    assert m.get_layer_depth('backbone.blocks.0.norm1.weight',
                             'backbone.') == (1, 3)


def test_bad_clip_size_error():
    with pytest.raises(ValueError, match='not divisible'):
        tiny()(torch.randn(1, 3, 3, 32, 32))


def test_pretrained_is_loaded_and_reported(tmp_path, caplog):
    src = tiny()
    path = tmp_path / 'ckpt.pth'
    # official VideoMAE pretraining layout
    state = {f'encoder.{k}': v for k, v in src.state_dict().items()}
    state['mask_token'] = torch.zeros(1, 1, 8)
    torch.save({'model': state}, path)
    dst = tiny(pretrained=str(path))
    dst.init_weights()
    assert not dst.load_report.missing_keys
    assert not dst.load_report.unexpected_keys
    for k, v in src.state_dict().items():
        torch.testing.assert_close(dst.state_dict()[k], v)
    # a wrong checkpoint fails loudly, a missing file names itself
    torch.save({'model': {'decoder.x': torch.zeros(1)}}, path)
    with pytest.raises(ValueError):
        tiny(pretrained=str(path)).init_weights()
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        tiny(pretrained=str(tmp_path / 'nope.pth')).init_weights()


def test_vit_b_parameter_count_meta():
    """Encoder-only ViT-B at 16x160x160: 86.2 M (mae_dfer Table 3)."""
    with torch.device('meta'):
        m = VideoViT('base', img_size=160, num_frames=16)
    n = sum(p.numel() for p in m.parameters())
    assert abs(n / 1e6 - 86.2) < 0.05, n


def test_table_built_under_meta_device_does_not_poison_real_models():
    """Regression: the cached table was created on the meta device when a
    model was first built under ``torch.device('meta')`` (FLOP counting)."""
    from dfertools.models.layers import sinusoid_table
    with torch.device('meta'):
        meta = sinusoid_table(7 * 5, 12)
    assert meta.device.type == 'cpu'
    assert torch.isfinite(sinusoid_table(7 * 5, 12)).all()
