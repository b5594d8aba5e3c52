"""Registry nodes resolve mmaction and dfertools types from one scope."""
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope, Registry

import dfertools  # noqa: F401
from dfertools import registry


def test_every_mmaction_node_has_a_dfertools_child():
    from mmaction import registry as mma
    for name in dir(mma):
        node = getattr(mma, name)
        if name.startswith("MMENGINE_") or not isinstance(node, Registry):
            continue
        ours = getattr(registry, name if name != 'FUNCTION' else 'FUNCTIONS')
        assert ours.parent is node, name
        assert ours.scope == 'dfertools'


def test_mmaction_type_resolves_in_dfertools_scope():
    with DefaultScope.overwrite_default_scope('dfertools'):
        vit = ROOT_MODELS.build(
            dict(type='VisionTransformer', img_size=32, patch_size=16,
                 embed_dims=48, depth=1, num_heads=2, num_frames=4,
                 tube_size=2))
    assert type(vit).__name__ == 'VisionTransformer'
