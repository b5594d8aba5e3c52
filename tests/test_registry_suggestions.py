"""An unregistered type names the type, the registry and the closest
registered names."""
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import dfertools  # noqa: F401
import dfertools.engine  # noqa: F401
from dfertools.engine import DFERRunner
from dfertools.registry import HOOKS, MODELS, suggest_types
from tests.fixtures.cli import TOY_CONFIG


def test_models_build_suggests_the_closest_name():
    with DefaultScope.overwrite_default_scope('dfertools'):
        with pytest.raises(KeyError) as err:
            MODELS.build(dict(type='VideoVit', embed_dims=48))
    msg = str(err.value)
    assert "type='VideoVit' is not registered in the dfertools::model" in msg
    assert "did you mean 'VideoViT'" in msg
    assert 'mmaction::model' in msg  # the parents it searched


def test_mmaction_names_are_suggested_too():
    # a nested build inside mmaction's Recognizer3D, a typo of an mmaction
    # backbone: the candidates come from the parent registry
    with DefaultScope.overwrite_default_scope('dfertools'):
        with pytest.raises(KeyError, match="did you mean 'VisionTransformer'"):
            MODELS.build(dict(
                type='Recognizer3D',
                backbone=dict(type='VisionTransformr'),
                cls_head=dict(type='TimeSformerHead', num_classes=2,
                              in_channels=8)))


def test_no_close_name():
    with DefaultScope.overwrite_default_scope('dfertools'):
        with pytest.raises(KeyError, match='no registered name is close'):
            MODELS.build(dict(type='Qzxwvut'))
    assert suggest_types(HOOKS, 'NonFiniteLosHook')[0] == 'NonFiniteLossHook'


def test_runner_from_cfg(tmp_path):
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.work_dir = str(tmp_path)
    cfg.custom_hooks = [dict(type='RngStateHook')]
    with pytest.raises(KeyError) as err:
        DFERRunner.from_cfg(cfg).train()
    assert "type='RngStateHook' is not registered in the dfertools::hook" \
        in str(err.value)
    assert "did you mean 'RNGStateHook'" in str(err.value)


def test_mmengine_is_not_patched_and_maskers_explain_too():
    from mmengine.registry import Registry

    from dfertools.registry import MASKERS
    assert Registry.build.__module__ == 'mmengine.registry.registry'
    assert not hasattr(Registry.build, '_dfertools_wrapped')
    with pytest.raises(KeyError) as err:
        MASKERS.build(dict(type='HRDMaskr'))
    assert "type='HRDMaskr' is not registered in the dfertools::masker" in \
        str(err.value)
    assert "did you mean 'HRDMasker'" in str(err.value)
