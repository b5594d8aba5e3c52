"""tools/analysis/linear_probe.py on a tiny SynthDFER set with the demo
fine-tuning config: several backbones in one process give what each gives
alone."""
import json

import pytest
import torch

FT_CONFIG = 'configs/demo/vit-t_synth-dfer_finetune.py'


@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    from dfertools.datasets.synthetic_writer import generate
    out = str(tmp_path_factory.mktemp('synth'))
    generate(out, seed=0, num_labeled=42, num_unlabeled=1, size=64,
             frames=(16, 16), num_folds=2, workers=1, progress=False)
    return out


def _probe_tool():
    from tests.fixtures.cli import load_tool
    return load_tool('tools/analysis/linear_probe.py')


def _opts(root):
    return ['--cfg-options', f'train_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}']


def _records(path):
    return json.loads(path.read_text())['records']


@pytest.mark.slow  # generates videos, extracts features six times
def test_two_backbones_in_one_process_match_separate_runs(synth, tmp_path):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from dfertools.datasets.transforms.clip_cache import CLIP_CACHE
    from dfertools.registry import MODELS
    torch.manual_seed(5)   # other weights than the probe's seeded init
    with DefaultScope.overwrite_default_scope('dfertools'):
        model = MODELS.build(Config.fromfile(FT_CONFIG).model)
    ckpt = tmp_path / 'other.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    tool = _probe_tool()
    both = [tmp_path / 'both_ckpt.json', tmp_path / 'both_random.json']
    CLIP_CACHE.clear()
    assert tool.main([FT_CONFIG, '--checkpoint', str(ckpt), 'random',
                      '--dump', *map(str, both)] + _opts(synth)) == 0
    alone = [tmp_path / 'ckpt.json', tmp_path / 'random.json']
    CLIP_CACHE.clear()
    tool.main([FT_CONFIG, '--checkpoint', str(ckpt), '--dump',
               str(alone[0])] + _opts(synth))
    CLIP_CACHE.clear()
    tool.main([FT_CONFIG, '--dump', str(alone[1])] + _opts(synth))
    for a, b in zip(both, alone):
        assert _records(a) == _records(b)
    probs = [[r['probs'] for r in _records(p)] for p in both]
    assert len(probs[0]) > 0 and probs[0] != probs[1]


def test_arguments_are_checked_before_any_probe(tmp_path):
    tool = _probe_tool()
    with pytest.raises(SystemExit):   # argparse: two checkpoints, one dump
        tool.parse_args([FT_CONFIG, '--checkpoint', 'a.pth', 'random',
                         '--dump', 'one.json'])
    missing = tmp_path / 'missing.pth'
    dump = tmp_path / 'random.json'
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        tool.main([FT_CONFIG, '--checkpoint', 'random', str(missing),
                   '--dump', str(dump), str(tmp_path / 'm.json')]
                  + _opts(str(tmp_path)))
    assert not dump.exists()
