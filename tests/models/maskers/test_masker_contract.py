"""One contract test for every masker in the MASKERS registry - those of the
dfertools package and a plugin's (tests/fixtures/toy_masker_plugin.py,
loaded by MMEngine's custom_imports route): shapes, dtypes, the ratio_floor
counts, a sorted disjoint cover of the tokens, tube structure, determinism
in eval and the gradient of log_prob where declared
(tests/fixtures/masker_contract.py)."""
import pkgutil
import subprocess
import sys

import pytest
import torch
from mmengine.utils import import_modules_from_strings

import dfertools.models.maskers as maskers_pkg
from dfertools.registry import MASKERS
from tests.fixtures.cli import ROOT
from tests.fixtures.masker_contract import build_masker, check_contract

PLUGIN = 'tests.fixtures.toy_masker_plugin'
import_modules_from_strings([PLUGIN])  # what custom_imports=[PLUGIN] does
MASKERS.import_from_location()
NAMES = sorted(MASKERS.module_dict)

GRIDS = [(2, 4, 4), (3, 4, 6), (8, 10, 10)]
# constructor arguments a masker needs, with the grids they fit (default:
# no arguments, every grid)
VARIANTS = {
    'TubeWindowMasker': [(dict(region_size=(1, 2, 2)), GRIDS),
                         (dict(region_size=(2, 5, 10)), [(8, 10, 10)])],
    'FixedTubeMasker': [(dict(pattern='even'), GRIDS),
                        (dict(pattern='random'), GRIDS)],
}
RATIOS = [0.0, 0.5, 0.7, 0.9]
CASES = [(name, kw, grids) for name in NAMES
         for kw, grids in VARIANTS.get(name, [({}, GRIDS)])]
IDS = [f'{n}-{i}' for i, (n, _, _) in enumerate(CASES)]


@pytest.mark.parametrize('name, kwargs, grids', CASES, ids=IDS)
@pytest.mark.parametrize('ratio', RATIOS)
def test_contract(name, kwargs, grids, ratio):
    for grid in grids:
        check_contract(build_masker(name, ratio, **kwargs), grid)


@pytest.mark.parametrize('name, kwargs, grids', CASES, ids=IDS)
def test_token_count_must_match_grid(name, kwargs, grids):
    masker = build_masker(name, 0.5, **kwargs)
    with pytest.raises(ValueError, match=f'{name}.*grid'):
        masker(torch.zeros(2, 33, 16), (2, 4, 4))


def test_registry_holds_the_package_and_the_plugin():
    """The parametrization above reaches every masker module of the
    package and the plugin's masker."""
    package = {cls.__module__.split('.')[-1]
               for cls in MASKERS.module_dict.values()
               if cls.__module__.startswith(maskers_pkg.__name__ + '.')}
    assert {'random', 'tube', 'tube_window', 'hrd', 'fixed_tube'} <= package
    assert MASKERS.get('ToyShiftMasker').__module__ == PLUGIN
    assert 'ToyShiftMasker' in NAMES and 'HRDMasker' in NAMES


def test_every_module_of_the_package_is_imported_on_first_lookup():
    """A fresh process that only builds through the registry has imported
    every module of dfertools/models/maskers (none is listed by hand)."""
    code = (
        'import pkgutil, sys\n'
        'from dfertools.registry import MASKERS\n'
        "MASKERS.build(dict(type='RandomMasker'))\n"
        'import dfertools.models.maskers as p\n'
        'names = [i.name for i in pkgutil.iter_modules(p.__path__)]\n'
        "missing = [n for n in names if f'{p.__name__}.{n}' not in "
        'sys.modules]\n'
        'print(len(names), missing)\n')
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, text=True,
                         capture_output=True, check=True).stdout.split()
    expected = len(list(pkgutil.iter_modules(maskers_pkg.__path__)))
    assert out == [str(expected), '[]']
