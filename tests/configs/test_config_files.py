"""Every config file is plain literals: no import statements.

MMEngine 0.10 reads a config that imports anything as a *lazy-import*
(new-style) config unless it can prove the module is built in, and it
treats a standard-library module as built in only when the module's file
lies under the interpreter's own prefix or ``/usr/lib/python``. Inside a
virtualenv (pyenv, python.org, uv, /usr/local Pythons) the standard library
lies elsewhere, so one ``import importlib.util`` in a base config makes
every config inheriting it fail with "The configuration file type in the
inheritance chain must match". Optional behaviour that needs to probe the
environment belongs in code (``dfertools/cli/setup_env.py``).
"""
import ast
import glob
import os.path as osp

import pytest

from tests.fixtures.paths import REPO_ROOT as ROOT


def _is_config(path: str) -> bool:
    """Files under ``configs/``, and test files that inherit a config."""
    if osp.relpath(path, ROOT).startswith('configs' + osp.sep):
        return True
    tree = ast.parse(open(path, encoding='utf-8').read(), path)
    return any(isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets)
        for node in tree.body)


def import_lines(path: str) -> list:
    """``(line, source)`` of every import statement in ``path``, at any
    depth (an import inside ``if`` or a function counts too)."""
    source = open(path, encoding='utf-8').read()
    tree = ast.parse(source, path)
    lines = source.splitlines()
    return [(node.lineno, lines[node.lineno - 1].strip())
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))]


CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True)
    + glob.glob(osp.join(ROOT, 'tests', '**', '*.py'), recursive=True)
    if _is_config(p))


def test_configs_found():
    # the walk must see the shipped configs and the test fixture configs
    rel = {osp.relpath(p, ROOT) for p in CONFIGS}
    assert 'configs/_base_/default_runtime.py' in rel
    assert 'tests/fixtures/configs/toy_recognizer.py' in rel
    assert len(rel) > 40


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_has_no_import(path):
    found = import_lines(path)
    assert not found, (
        f'{osp.relpath(path, ROOT)} imports '
        + '; '.join(f'line {n}: {src!r}' for n, src in found)
        + '. Configs must be plain literals: MMEngine treats a config that '
        'imports a module it cannot prove is built in as a lazy-import '
        'config, and inside a virtualenv that is every module, so the whole '
        'inheritance chain fails to load. Move the logic into code (e.g. '
        'dfertools/cli/setup_env.py).')


def test_detector_catches_the_old_runtime_config(tmp_path):
    # the very lines that broke every config inside a virtualenv
    old = tmp_path / 'default_runtime.py'
    old.write_text(
        "import importlib.util\n"
        "vis_backends = [dict(type='LocalVisBackend')]\n"
        "if importlib.util.find_spec('tensorboard') is not None:\n"
        "    from os import path  # nested imports count too\n")
    assert [n for n, _ in import_lines(str(old))] == [1, 4]
