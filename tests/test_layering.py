"""The package's layers (docs/design.md, 'Packages'): ``dfertools/utils``
holds leaf helpers that import nothing above them, and nothing below the
tool plumbing (``cli``) or the benchmark imports those two. Checked on the
source, imports inside functions included."""
import ast
import glob
import os.path as osp

import pytest

from tests.fixtures.paths import REPO_ROOT as ROOT

PKG = osp.join(ROOT, 'dfertools')
TOP_ONLY = ('cli', 'benchmark')
ABOVE_UTILS = ('registry', 'datasets', 'models', 'engine', 'evaluation',
               'apis', 'visualization') + TOP_ONLY


def _imported_dfertools_parts(path):
    """The first component under ``dfertools`` of every module ``path``
    imports (absolute or relative), e.g. 'engine' for
    ``from dfertools.engine.runner import X`` or ``from ..engine import X``."""
    rel = osp.relpath(path, PKG).split(osp.sep)[:-1]   # package of path
    tree = ast.parse(open(path, encoding='utf-8').read(), path)
    parts = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = rel[:len(rel) - (node.level - 1)]
                mod = (node.module or '').split('.') if node.module else []
                full = base + mod
                if not full:   # `from .. import x` at the package root
                    full = [a.name for a in node.names][:1]
                names = ['dfertools.' + '.'.join(full)]
            else:
                names = [node.module or '']
        for name in names:
            bits = name.split('.')
            if bits[0] == 'dfertools' and len(bits) > 1:
                parts.add(bits[1])
    return parts


def _modules(sub):
    return sorted(glob.glob(osp.join(PKG, sub, '**', '*.py'),
                            recursive=True))


def test_the_scan_sees_imports():
    # the scan must find what a known module imports, or the checks below
    # would pass on nothing
    parts = _imported_dfertools_parts(osp.join(PKG, 'engine', 'runner.py'))
    assert {'datasets', 'models', 'registry', 'utils'} <= parts
    parts = _imported_dfertools_parts(osp.join(PKG, 'cli', 'setup_env.py'))
    assert 'utils' in parts and 'cli' in parts


@pytest.mark.parametrize('path', _modules('utils'),
                         ids=lambda p: osp.relpath(p, PKG))
def test_utils_are_leaves(path):
    above = _imported_dfertools_parts(path) & set(ABOVE_UTILS)
    assert not above, f'{path} imports dfertools.{sorted(above)}'


BELOW_TOP = [p for sub in ('utils', 'datasets', 'models', 'engine',
                           'evaluation', 'apis', 'visualization')
             for p in _modules(sub)] + [osp.join(PKG, 'registry.py')]


@pytest.mark.parametrize('path', BELOW_TOP,
                         ids=lambda p: osp.relpath(p, PKG))
def test_nothing_below_imports_the_top(path):
    top = _imported_dfertools_parts(path) & set(TOP_ONLY)
    assert not top, f'{path} imports dfertools.{sorted(top)}'
