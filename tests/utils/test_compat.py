"""The upstream shims (dfertools/utils/compat.py; docs/design.md,
'Upstream breakages and shims')."""
import importlib


def test_mmaction_models_imports_after_dfertools():
    import dfertools  # noqa: F401
    mm = importlib.import_module('mmaction.models')
    assert hasattr(mm, 'Recognizer3D')


def test_mmaction_base_config_path_resolves():
    import dfertools  # noqa: F401
    from mmengine.config import config as cfg_mod
    path = cfg_mod.get_installed_path('mmaction')
    assert path.endswith('mmaction')
    assert cfg_mod.is_installed('mmaction2') or cfg_mod.is_installed('mmaction')
