"""``--cfg-options`` of the tools (dfertools/utils/cfg_options.py)."""
import argparse
import subprocess

import pytest

from dfertools.utils.cfg_options import (CfgOptionsAction,
                                         check_override_types)
from tests.fixtures.cli import TOY_CONFIG, run_tool


def _parse(*items):
    p = argparse.ArgumentParser()
    p.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    return p.parse_args(['--cfg-options', *items]).cfg_options


def test_spaces_in_single_values_are_kept():
    got = _parse('data_root=/data/my videos/x', 'load_from="/a b/c.pth"',
                 "name='  padded '")
    assert got == {'data_root': '/data/my videos/x',
                   'load_from': '/a b/c.pth', 'name': '  padded '}


def test_scalars_and_lists_parse_as_mmengine_does():
    got = _parse('a=5', 'b=1e-4', 'c=true', 'd=None', 'e=[1, 2]',
                 'f=(a,b)', 'g=1,2,3')
    assert got == {'a': 5, 'b': 1e-4, 'c': True, 'd': None, 'e': [1, 2],
                   'f': ('a', 'b'), 'g': [1, 2, 3]}


@pytest.mark.parametrize('item', ['foo', '=5'])
def test_item_without_key_value_is_a_usage_error(item, capsys):
    with pytest.raises(SystemExit) as e:
        _parse(item)
    assert e.value.code == 2
    assert 'expected KEY=VALUE' in capsys.readouterr().err


def test_string_for_a_number_is_refused():
    cfg = {'train_cfg': {'max_epochs': 3, 'val_begin': 1},
           'flag': True, 'lr': 0.1, 'names': ['a']}
    with pytest.raises(argparse.ArgumentTypeError,
                       match=r"max_epochs = 3 \(a int\)"):
        check_override_types(cfg, {'train_cfg.max_epochs': 'abc'}, 'c.py')
    with pytest.raises(argparse.ArgumentTypeError, match='a bool'):
        check_override_types(cfg, {'flag': 'yes please'}, 'c.py')
    # numbers for numbers, new keys and strings for strings pass
    check_override_types(cfg, {'train_cfg.max_epochs': 5, 'lr': 1,
                               'new.key': 'x', 'names.0': 'b'}, 'c.py')


def test_tool_reports_bad_override_without_traceback(tmp_path):
    proc = run_tool('train.py', TOY_CONFIG, '--work-dir', str(tmp_path),
                    '--cfg-options', 'train_cfg.max_epochs=abc')
    assert proc.returncode != 0
    assert 'train_cfg.max_epochs' in proc.stderr
    assert 'Traceback' not in proc.stderr
