"""tools/analysis/benchmark.py: smoke runs (--steps 2) on a tiny VideoViT,
JSON keys, and numerical agreement of the mmaction2 comparison. No timing
assertions."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from dfertools.benchmark.harness import build_mmaction_pair, run_benchmark
from tests.fixtures.cli import load_tool
from tests.fixtures.paths import REPO_ROOT as ROOT

torch.set_num_threads(1)
CFG = osp.join(ROOT, 'configs/demo/vit-t_synth-dfer_finetune.py')


def tiny_cfg():
    cfg = Config.fromfile(CFG)
    cfg.model.backbone.arch = dict(embed_dims=48, num_layers=2, num_heads=3)
    cfg.model.backbone.img_size = 32
    cfg.model.backbone.num_frames = 4
    cfg.model.cls_head.in_channels = 48
    return cfg


def load_benchmark_tool():
    return load_tool('tools/analysis/benchmark.py')


def test_cli_train_smoke_writes_json_with_comparison(tmp_path):
    out = tmp_path / 'b.json'
    opts = ['model.backbone.arch.embed_dims=48', 'model.backbone.arch.'
            'num_layers=2', 'model.backbone.img_size=32',
            'model.backbone.num_frames=4', 'model.cls_head.in_channels=48']
    load_benchmark_tool().main([
        '--config', CFG, '--mode', 'train', '--steps', '2', '--warmup', '1',
        '--compare', 'mmaction-vit', '--json', str(out), '--cfg-options',
        *opts])
    r = json.loads(out.read_text())
    for key in ('median_step_s', 'clips_per_s', 'peak_mem_mib',
                'flops_per_clip', 'params', 'step_times_s', 'compare'):
        assert key in r, key
    assert r['clip_shape'] == [3, 4, 32, 32]
    assert len(r['step_times_s']) == 2 and r['flops_per_clip'] > 0
    c = r['compare']
    assert c['max_abs_diff'] < 1e-4
    assert {'ours', 'theirs', 'speed_ratio'} <= set(c)
    assert len(c['ours']['times_s']) == len(c['theirs']['times_s']) == 2


def test_infer_mode_smoke():
    r = run_benchmark(tiny_cfg(), 'infer', batch=2, steps=2, warmup=0)
    assert r['mode'] == 'infer' and len(r['step_times_s']) == 2
    assert r['clips_per_s'] > 0 and 'compare' not in r


def test_compared_models_agree_in_train_mode_forward_and_grads():
    # the demo config drops tokens in training; the comparison does not
    assert tiny_cfg().model.backbone.train_token_drop > 0
    ours, theirs = build_mmaction_pair(tiny_cfg(), 'cpu')
    x = torch.randn(2, 3, 4, 32, 32)
    ours.train()
    theirs.train()
    a = ours.cls_head(ours.backbone(x))
    b = theirs(x)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    a.sum().backward()
    b.sum().backward()
    torch.testing.assert_close(ours.backbone.patch_embed.proj.weight.grad,
                               theirs[0].patch_embed.projection.weight.grad,
                               rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ours.cls_head.fc_cls.weight.grad,
                               theirs[1].weight.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('workers', [0, 2])
def test_data_mode_smoke_with_repeats_and_mmaction_pipeline(tmp_path,
                                                            workers):
    """The benchmark config loads with 2 threads (0: in the caller);
    mmaction2's side with as many worker processes."""
    from dfertools.datasets.synthetic_writer import generate
    generate(str(tmp_path / 'synth'), num_labeled=24, num_unlabeled=0,
             size=32, frames=(16, 18), num_folds=2, workers=0,
             progress=False)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/benchmark/'
                                   'vit-s_synth-dfer-160.py'))
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'synth')
    r = run_benchmark(cfg, 'data', batch=2, steps=2, warmup=1,
                      compare='mmaction-vit', num_workers=workers,
                      num_repeats=2)
    assert r['num_repeats'] == 2 and r['batch'] == 2
    assert r['num_workers'] == workers
    assert r['ours']['clips'] == 2 * 2 * 2  # steps x batch x repeats
    assert r['theirs']['clips'] == 2 * 2
    for side in ('ours', 'theirs'):
        assert r[side]['clips_per_s'] > 0
        assert r[side]['total_cpu_ms_per_clip'] > 0
    assert r['speed_ratio'] > 0 and r['speed_ratio_cpu'] > 0


def tiny_pretrain_cfg():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/demo/vit-t_synth-pretrain.py'))
    cfg.model.backbone.arch = dict(embed_dims=48, num_layers=2, num_heads=3)
    cfg.model.backbone.img_size = 32
    cfg.model.backbone.num_frames = 4
    cfg.model.masker.num_heads = 3
    cfg.model.decoder.update(embed_dims=32, num_layers=1, num_heads=2,
                             default_grid=(2, 2, 2))
    return cfg


def test_pretrain_mode_smoke_counts_masked_flops():
    """--mode pretrain steps the masked pretrainer; its FLOPs per clip are
    those of the executed loss forward, so a higher mask ratio (fewer
    visible tokens through the encoder) must give fewer FLOPs."""
    cfg = tiny_pretrain_cfg()
    r = run_benchmark(cfg, 'pretrain', batch=2, steps=2, warmup=0)
    assert r['mode'] == 'pretrain' and len(r['step_times_s']) == 2
    assert r['clips_per_s'] > 0 and r['flops_per_clip'] > 0
    ratio = cfg.model.masker.get('mask_ratio', 0.9)
    low = tiny_pretrain_cfg()
    low.model.masker.mask_ratio = ratio / 2
    r_low = run_benchmark(low, 'pretrain', batch=1, steps=1, warmup=0)
    assert r_low['flops_per_clip'] > r['flops_per_clip']


def test_compile_compiles_the_timed_forward():
    """--compile runs the timed step through torch.compile (dynamo traces
    frames: its counter moves), records the backend and the compile time;
    --mode data has no model to compile."""
    import pytest
    from torch._dynamo.utils import counters
    torch._dynamo.reset()
    before = counters['frames']['ok']
    r = run_benchmark(tiny_pretrain_cfg(), 'pretrain', batch=2, steps=1,
                      warmup=0, compile_backend='eager')
    assert counters['frames']['ok'] > before
    assert r['compile'] == 'eager' and r['compile_s'] > 0
    assert len(r['step_times_s']) == 1
    plain = run_benchmark(tiny_cfg(), 'infer', batch=1, steps=1, warmup=0)
    assert plain['compile'] is None and 'compile_s' not in plain
    cli = load_benchmark_tool().main([
        '--config', CFG, '--mode', 'infer', '--steps', '1', '--warmup', '0',
        '--compile', 'eager'])
    assert cli['compile'] == 'eager' and cli['compile_s'] > 0
    with pytest.raises(ValueError, match='compile'):
        run_benchmark(tiny_cfg(), 'data', compile_backend='eager')


def test_pretrain_mode_refuses_a_fine_tuning_config():
    import pytest
    with pytest.raises(ValueError, match='cls_head'):
        run_benchmark(tiny_cfg(), 'pretrain', batch=1, steps=1, warmup=0)


def test_bf16_autocast_smoke_with_comparison():
    """--amp bf16 runs both compared models under autocast (CPU autocast
    supports bf16); the agreement check stays in fp32."""
    r = run_benchmark(tiny_cfg(), 'train', batch=2, steps=1, warmup=0,
                      compare='mmaction-vit', amp='bf16')
    assert r['amp'] == 'bf16' and r['clips_per_s'] > 0
    assert r['compare']['max_abs_diff'] < 1e-4


def test_autocast_context_and_bad_amp():
    import pytest

    from dfertools.benchmark.harness import autocast
    with autocast('cpu', 'bf16'):
        y = torch.nn.functional.linear(torch.randn(2, 4), torch.randn(3, 4))
    assert y.dtype == torch.bfloat16
    with autocast('cpu', 'none'):
        assert torch.nn.functional.linear(
            torch.randn(2, 4), torch.randn(3, 4)).dtype == torch.float32
    with pytest.raises(ValueError, match='amp'):
        run_benchmark(tiny_cfg(), 'train', amp='fp8')
