"""Config keys nobody reads: a dataset argument its type does not take is
refused before the Runner is built (naming the type, the key and the
accepted ones); a misspelt top-level key is warned about with a
suggestion; no shipped config triggers either."""
import glob
import os.path as osp
import textwrap
import warnings

import pytest

from dfertools.cli import setup_env
from dfertools.cli.config_check import (ConfigKeyWarning,
                                          UnknownConfigKeyError)
from tests.fixtures.cli import ROOT, TOY_CONFIG, run_tool

SHIPPED = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True)
    if osp.sep + '_base_' + osp.sep not in p) + [
    TOY_CONFIG, osp.join(ROOT, 'tests', 'fixtures', 'cv_toy', 'toy_cv.py')]


def _load(path, options=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        cfg = setup_env.load_config(path, options)
    return cfg, [str(w.message) for w in caught
                 if issubclass(w.category, ConfigKeyWarning)]


def test_shipped_configs_pass_both_checks():
    assert len(SHIPPED) > 40
    noisy = {}
    for path in SHIPPED:
        _, found = _load(path)  # also: no UnknownConfigKeyError
        if found:
            noisy[osp.relpath(path, ROOT)] = found
    assert noisy == {}


def test_misspelt_top_level_key_warns_with_a_suggestion(tmp_path):
    cfg_file = tmp_path / 'typo.py'
    cfg_file.write_text(textwrap.dedent(f'''
        _base_ = [{TOY_CONFIG!r}]
        trian_cfg = dict(max_epochs=1)
        epochs = 3  # a helper variable ...
        train_cfg = dict(max_epochs=epochs)  # ... that a line uses
    '''))
    cfg, found = _load(str(cfg_file))
    assert len(found) == 1, found
    assert "'trian_cfg'" in found[0] and "did you mean 'train_cfg'" in found[0]
    assert str(cfg_file) in found[0]
    assert cfg.train_cfg.max_epochs == 3


def test_misspelt_key_from_cfg_options_warns():
    _, found = _load(TOY_CONFIG, {'defualt_hooks.logger.interval': 5})
    assert len(found) == 1 and "did you mean 'default_hooks'" in found[0]


def test_unknown_dataset_key_names_type_key_and_accepted_keys():
    with pytest.raises(UnknownConfigKeyError) as info:
        _load(TOY_CONFIG, {'train_dataloader.dataset.foo': 1})
    msg = str(info.value)
    assert msg.startswith("train_dataloader.dataset: dataset type "
                          "'ToyClipDataset' has no argument 'foo'")
    assert 'it accepts: delay, num_frames, num_samples' in msg


def test_unknown_dfer_dataset_key_suggests_the_close_one():
    demo = osp.join(ROOT, 'configs', 'demo', 'vit-t_synth-dfer_finetune.py')
    with pytest.raises(UnknownConfigKeyError) as info:
        _load(demo, {'test_dataloader.dataset.num_view': 2})
    msg = str(info.value)
    assert "'DFERDataset' has no argument 'num_view' (did you mean " \
        "'num_views'?)" in msg
    # DFERDataset's own arguments and BaseDataset's, through **kwargs
    assert 'ann_format' in msg and 'serialize_data' in msg


def test_wrapped_dataset_is_checked(tmp_path):
    cfg_file = tmp_path / 'wrapped.py'
    cfg_file.write_text(textwrap.dedent(f'''
        _base_ = [{TOY_CONFIG!r}]
        train_dataloader = dict(dataset=dict(
            _delete_=True, type='RepeatDataset', times=2,
            dataset=dict(type='ToyClipDataset', num_sample=16)))
    '''))
    with pytest.raises(UnknownConfigKeyError,
                       match=r"train_dataloader\.dataset\.dataset: .*"
                       r"'num_sample' \(did you mean 'num_samples'\?\)"):
        _load(str(cfg_file))


def test_train_tool_reports_it_in_one_line(tmp_path):
    proc = run_tool('train.py', TOY_CONFIG, '--work-dir', str(tmp_path),
                    '--cfg-options', 'train_dataloader.dataset.foo=1')
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    assert ("train.py: error: UnknownConfigKeyError: train_dataloader."
            "dataset: dataset type 'ToyClipDataset' has no argument 'foo'"
            in proc.stderr)
