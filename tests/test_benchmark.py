"""tools/analysis/benchmark.py: smoke runs (--steps 2) on a tiny VideoViT,
JSON keys, and numerical agreement of the mmaction2 comparison. No timing
assertions."""
import json
import os.path as osp

import torch
from mmengine.config import Config

from dfertools.utils.benchmark import build_mmaction_pair, run_benchmark

torch.set_num_threads(1)
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CFG = osp.join(ROOT, 'configs/demo/vit-t_synth-dfer_finetune.py')


def tiny_cfg():
    cfg = Config.fromfile(CFG)
    cfg.model.backbone.arch = dict(embed_dims=48, num_layers=2, num_heads=3)
    cfg.model.backbone.img_size = 32
    cfg.model.backbone.num_frames = 4
    cfg.model.cls_head.in_channels = 48
    return cfg


def load_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', osp.join(ROOT, 'tools/analysis/benchmark.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cli_train_smoke_writes_json_with_comparison(tmp_path):
    out = tmp_path / 'b.json'
    opts = ['model.backbone.arch.embed_dims=48', 'model.backbone.arch.'
            'num_layers=2', 'model.backbone.img_size=32',
            'model.backbone.num_frames=4', 'model.cls_head.in_channels=48']
    load_tool().main(['--config', CFG, '--mode', 'train', '--steps', '2',
                      '--warmup', '1', '--compare', 'mmaction-vit', '--json',
                      str(out), '--cfg-options', *opts])
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


def test_data_mode_smoke_with_repeats_and_mmaction_pipeline(tmp_path):
    from dfertools.datasets.synthetic_writer import generate
    generate(str(tmp_path / 'synth'), num_labeled=24, num_unlabeled=0,
             size=32, frames=(16, 18), num_folds=2, workers=0,
             progress=False)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/benchmark/'
                                   'vit-s_synth-dfer-160.py'))
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'synth')
    r = run_benchmark(cfg, 'data', batch=2, steps=2, warmup=1,
                      compare='mmaction-vit', num_workers=0, num_repeats=2)
    assert r['num_repeats'] == 2 and r['batch'] == 2
    assert r['ours']['clips'] == 2 * 2 * 2  # steps x batch x repeats
    assert r['theirs']['clips'] == 2 * 2
    for side in ('ours', 'theirs'):
        assert r[side]['clips_per_s'] > 0
        assert r[side]['total_cpu_ms_per_clip'] > 0
    assert r['speed_ratio'] > 0 and r['speed_ratio_cpu'] > 0
