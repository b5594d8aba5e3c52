"""Plugins (docs/design.md, 'Registries and plugins'): examples/plugin_masker
registers a masker through
``custom_imports`` and through the ``dfertools.plugins`` entry point."""
import shutil
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest
import torch
from mmengine.config import Config

import dfertools  # noqa: F401
from dfertools.registry import MASKERS
from dfertools.utils import plugins
from tests.fixtures.cli import ROOT
from tests.fixtures.masker_contract import check_contract

PLUGIN_DIR = f'{ROOT}/examples/plugin_masker'
PKG = 'dfertools_checkerboard'


@pytest.fixture
def clean_plugin_state():
    """Leave sys.path, sys.modules, MASKERS and the plugin cache as found."""
    path, loaded, done = list(sys.path), dict(plugins._loaded), plugins._done
    yield
    sys.path[:] = path
    for name in [m for m in sys.modules if m.split('.')[0] == PKG]:
        del sys.modules[name]
    MASKERS._module_dict.pop('CheckerboardMasker', None)
    plugins._loaded.clear()
    plugins._loaded.update(loaded)
    plugins._done = done
    import importlib
    importlib.invalidate_caches()


def _dist_info(tmp_path, name, value):
    info = tmp_path / f'{name}-0.1.0.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text(
        f'Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n')
    (info / 'entry_points.txt').write_text(
        f'[dfertools.plugins]\n{name} = {value}\n')
    sys.path.insert(0, str(tmp_path))


def _reference_mask(grid, ratio):
    """Independent loop: black cells (t+h+w even) first, raster order."""
    t_, h_, w_ = grid
    cells = [(t, h, w) for t in range(t_) for h in range(h_)
             for w in range(w_)]
    order = [i for i, c in enumerate(cells) if sum(c) % 2 == 0] + \
            [i for i, c in enumerate(cells) if sum(c) % 2 == 1]
    mask = np.zeros(len(cells), bool)
    mask[order[:int(ratio * len(cells))]] = True
    return mask


def _check_masker(masker):
    grid = (2, 3, 4)
    tokens = torch.randn(3, 24, 8)
    out = masker(tokens, grid)
    ref = _reference_mask(grid, masker.mask_ratio)
    assert out.mask.shape == (3, 24)
    for row in out.mask:
        assert np.array_equal(row.numpy(), ref)
    # contract: sorted, disjoint indices covering all tokens
    assert torch.equal(out.visible_idx,
                       torch.sort(out.visible_idx, 1).values)
    both = torch.cat([out.visible_idx, out.masked_idx], 1).sort(1).values
    assert torch.equal(both, torch.arange(24).expand(3, 24))
    assert torch.equal(out.mask.gather(1, out.masked_idx),
                       torch.ones_like(out.masked_idx, dtype=torch.bool))
    assert out.log_prob is None


def test_custom_imports_route(tmp_path, clean_plugin_state):
    sys.path.insert(0, PLUGIN_DIR)
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(f"custom_imports = dict(imports=['{PKG}'])\n"
                        "masker = dict(type='CheckerboardMasker', "
                        "mask_ratio=0.5)\n")
    cfg = Config.fromfile(str(cfg_file))
    masker = MASKERS.build(cfg.masker)
    assert type(masker).__module__.startswith(PKG)
    _check_masker(masker)
    # at 0.5 on an even grid it is exactly the checkerboard
    black = type(masker).pattern((2, 3, 4))
    assert torch.equal(masker(torch.zeros(1, 24, 4), (2, 3, 4)).mask[0],
                       black)


def test_entry_point_route(tmp_path, clean_plugin_state):
    sys.path.insert(0, PLUGIN_DIR)  # the package; the dist-info below
    _dist_info(tmp_path, 'checkerboard', PKG)
    assert PKG not in sys.modules
    assert 'CheckerboardMasker' not in MASKERS.module_dict
    loaded = plugins.load_plugins(force=True)
    assert 'checkerboard' in loaded and PKG in sys.modules
    for ratio in (0.5, 0.75, 0.0):
        masker = MASKERS.build(dict(type='CheckerboardMasker',
                                    mask_ratio=ratio))
        _check_masker(masker)
        check_contract(masker, (3, 4, 5))  # and eval determinism


def test_entry_point_imported_automatically_by_registry(tmp_path,
                                                        clean_plugin_state):
    sys.path.insert(0, PLUGIN_DIR)
    _dist_info(tmp_path, 'checkerboard', PKG)
    plugins._done = False  # a fresh process: no scan yet
    assert PKG not in sys.modules
    masker = MASKERS.build(dict(type='CheckerboardMasker'))
    assert type(masker).__name__ == 'CheckerboardMasker'


def test_broken_plugin_warns_with_its_name(tmp_path, clean_plugin_state):
    _dist_info(tmp_path, 'broken_one', 'no_such_module_xyz')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        loaded = plugins.load_plugins(force=True)
    assert 'broken_one' not in loaded
    msgs = [str(w.message) for w in caught]
    assert any('broken_one' in m and 'no_such_module_xyz' in m for m in msgs)


@pytest.mark.parametrize('body, shown', [
    ('import sys\nsys.exit(3)\n', 'SystemExit: 3'),
    ("raise SystemExit('plugin says bye')\n", 'SystemExit: plugin says bye'),
    ("raise RuntimeError('boom')\n", 'RuntimeError: boom'),
])
def test_plugin_exiting_on_import_is_skipped_with_a_warning(
        tmp_path, clean_plugin_state, body, shown):
    """A plugin that calls sys.exit while imported no longer ends the
    process (every tool builds through the registries): it is named in a
    warning and skipped, and building goes on."""
    (tmp_path / 'quitting_plugin.py').write_text(body)
    _dist_info(tmp_path, 'quitter', 'quitting_plugin')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        loaded = plugins.load_plugins(force=True)
    assert 'quitter' not in loaded
    msgs = [str(w.message) for w in caught if 'quitter' in str(w.message)]
    assert len(msgs) == 1
    assert "plugin 'quitter' (quitting_plugin) failed to import" in msgs[0]
    assert shown in msgs[0] and 'skipped' in msgs[0]
    sys.modules.pop('quitting_plugin', None)


def test_grid_mismatch_is_a_clear_error(clean_plugin_state):
    sys.path.insert(0, PLUGIN_DIR)
    from dfertools_checkerboard import CheckerboardMasker
    with pytest.raises(ValueError, match='grid'):
        CheckerboardMasker()(torch.zeros(1, 10, 4), (2, 3, 4))


def test_example_builds_a_wheel_declaring_the_entry_point(tmp_path):
    """The example really is a separate installable package."""
    src = tmp_path / 'src'
    shutil.copytree(PLUGIN_DIR, src)
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps',
         '--no-build-isolation', '--no-index', '-q', str(src),
         '-w', str(tmp_path / 'dist')],
        capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 and 'setuptools' in proc.stderr:
        pytest.skip('setuptools unavailable for an offline build')
    assert proc.returncode == 0, proc.stderr
    wheel, = (tmp_path / 'dist').glob('*.whl')
    with zipfile.ZipFile(wheel) as z:
        eps = [n for n in z.namelist() if n.endswith('entry_points.txt')]
        text = z.read(eps[0]).decode()
        assert f'{PKG}/checkerboard_masker.py' in z.namelist()
    assert '[dfertools.plugins]' in text
    assert f'checkerboard = {PKG}' in text
