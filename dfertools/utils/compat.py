"""Narrow shims for known upstream breakages (docs/design.md,
'Upstream breakages and shims').

Imported by ``dfertools/__init__.py`` before anything touches ``mmaction``.
Each fix checks that the breakage is present and does nothing otherwise, so
a fixed upstream release makes the shim inert rather than wrong.

1. The mmaction2 1.2.0 wheel ships without ``mmaction/models/localizers/drn``,
   so ``import mmaction.models`` fails. We register a stand-in module whose
   ``DRN`` raises a clear error if someone actually builds it.
2. setuptools >= 82 dropped ``pkg_resources``, which mmengine 0.10.7 uses to
   resolve ``mmaction::`` base configs. We swap in ``importlib.metadata``
   equivalents of ``is_installed`` / ``get_installed_path``.
3. torch >= 2.6 loads with ``weights_only=True``; mmengine checkpoints hold a
   few non-tensor globals (``HistoryBuffer`` and numpy scalars). We allow-list
   checked stand-ins for exactly those
   (:mod:`dfertools.utils.checkpoint_allowlist`), and never switch
   ``weights_only`` off.
4. MMEngine's local checkpoint loader calls ``torch.load`` without
   ``weights_only`` (so ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` would turn it
   off) and a refusal surfaces as a bare ``UnpicklingError``. Every
   ``CheckpointLoader`` scheme is routed through
   :mod:`dfertools.utils.checkpoint`, which passes ``weights_only=True``
   explicitly and names the refused file.
5. MMEngine's auto-resume (``find_latest_checkpoint``) returns whatever
   ``last_checkpoint`` says, even when it is empty or names a deleted or
   damaged file, and every resume then fails. It is replaced by
   :func:`dfertools.utils.resume.find_resumable_checkpoint`, which falls back
   to the newest checkpoint that loads and says so.
"""
import importlib.util
import os.path as osp
import sys
import types
import warnings

_APPLIED = False


def _stub_mmaction_drn() -> bool:
    spec = importlib.util.find_spec('mmaction')
    if spec is None or spec.origin is None:
        return False
    drn_dir = osp.join(osp.dirname(spec.origin), 'models', 'localizers', 'drn')
    if osp.isdir(drn_dir) or 'mmaction.models.localizers.drn' in sys.modules:
        return False

    class DRN:  # noqa: D401 - stand-in
        """Stand-in for mmaction's DRN, missing from the 1.2.0 wheel."""

        def __init__(self, *args, **kwargs):
            raise ImportError(
                'mmaction2 1.2.0 was packaged without '
                'mmaction/models/localizers/drn; DRN is unavailable. '
                'Install mmaction2 from source if you need it.')

    pkg = types.ModuleType('mmaction.models.localizers.drn')
    pkg.__path__ = []  # mark as package
    mod = types.ModuleType('mmaction.models.localizers.drn.drn')
    mod.DRN = DRN
    pkg.drn = mod
    sys.modules['mmaction.models.localizers.drn'] = pkg
    sys.modules['mmaction.models.localizers.drn.drn'] = mod
    return True


def _is_installed(package: str) -> bool:
    from importlib import metadata
    try:
        metadata.distribution(package)
        return True
    except metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(package)
        return spec is not None and spec.origin is not None


def _get_installed_path(package: str) -> str:
    from importlib import metadata
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise
        return osp.dirname(spec.origin)
    location = str(dist.locate_file(''))
    candidate = osp.join(location, package)
    if osp.exists(candidate):
        return candidate
    top_level = dist.read_text('top_level.txt')
    if top_level:
        return osp.join(location, top_level.split()[0])
    raise ValueError(f'cannot infer the module name of {package}')


def _shim_pkg_resources() -> bool:
    if importlib.util.find_spec('pkg_resources') is not None:
        return False
    import mmengine.utils
    import mmengine.utils.package_utils as pu
    patched = False
    for mod_name in ('mmengine.utils.package_utils', 'mmengine.utils',
                     'mmengine.config.config', 'mmengine.hub.hub'):
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        for name, fn in (('is_installed', _is_installed),
                         ('get_installed_path', _get_installed_path)):
            if hasattr(mod, name):
                setattr(mod, name, fn)
                patched = True
    del pu
    return patched


def _allow_mmengine_globals() -> bool:
    import torch
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return False
    from .checkpoint_allowlist import safe_globals
    torch.serialization.add_safe_globals(safe_globals())
    return True


def _install_checkpoint_loaders() -> bool:
    from .checkpoint import install_mmengine_loaders
    return install_mmengine_loaders()


def _install_resume_fallback() -> bool:
    from .resume import install_in_mmengine
    return install_in_mmengine()


def apply() -> dict:
    """Apply every shim once; returns which ones were needed."""
    global _APPLIED, _REPORT
    if _APPLIED:
        return _REPORT
    # mmcv-lite has no compiled ops; mmcv warns about one we never use.
    warnings.filterwarnings(
        'ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    _REPORT = dict(
        mmaction_drn=_stub_mmaction_drn(),
        pkg_resources=_shim_pkg_resources(),
        safe_globals=_allow_mmengine_globals(),
        checkpoint_loaders=_install_checkpoint_loaders(),
        resume_fallback=_install_resume_fallback(),
    )
    _APPLIED = True
    return _REPORT


_REPORT: dict = {}
apply()
