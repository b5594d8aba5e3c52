"""tools/analysis/visualize_{masks,reconstruction}.py on a tiny SynthDFER
set with the demo pretraining config."""
import os.path as osp

import pytest
import torch


@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    from dfertools.datasets.synthetic_writer import generate
    out = str(tmp_path_factory.mktemp('synth'))
    generate(out, seed=0, num_labeled=7, num_unlabeled=3, size=112,
             frames=(16, 18), num_folds=1, workers=1, progress=False)
    return out


@pytest.mark.slow  # generates videos, builds the demo model three times
def test_visualize_masks_and_reconstruction(synth, tmp_path):
    from mmengine.config import Config

    from dfertools.registry import MODELS
    from tests.fixtures.cli import load_tool

    def load(name):
        return load_tool(f'tools/analysis/{name}.py')

    cfg_file = 'configs/demo/vit-t_synth-pretrain.py'
    # a checkpoint of the demo model to visualise
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(cfg_file).model)
    ckpt = tmp_path / 'demo.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    opts = ['--cfg-options', f'train_dataloader.dataset.data_root={synth}']

    load('visualize_masks').main([
        cfg_file, '--checkpoint', str(ckpt), '--num-samples', '2',
        '--sample', '--out-dir', str(tmp_path / 'masks')] + opts)
    load('visualize_reconstruction').main([
        cfg_file, str(ckpt), '--num-samples', '2',
        '--out-dir', str(tmp_path / 'rec')] + opts)
    for f in ('masks/mask_000.png', 'masks/mask_001.png',
              'rec/reconstruction_000.png', 'rec/reconstruction_001.png'):
        assert osp.getsize(tmp_path / f) > 1000, f
    with pytest.raises(FileNotFoundError, match='checkpoint'):
        load('visualize_reconstruction').main(
            [cfg_file, str(tmp_path / 'missing.pth')] + opts)
