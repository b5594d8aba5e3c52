"""Maskers (``MASKERS`` registry): which tokens the encoder sees.

Every module of this package is imported here (:func:`import_all`), so a
masker is one file: a module in this folder that registers its class with
``@MASKERS.register_module()`` is built by ``type=`` without editing this
file, and its class is exported under its name (``from
dfertools.models.maskers import TubeMasker``).
"""
import importlib
import pkgutil

from dfertools.registry import MASKERS
from .base import BaseMasker, MaskOutput  # noqa: F401


def import_all() -> list:
    """Import every module of this package (those not imported yet) and
    export the maskers they registered; returns the module names."""
    names = []
    for info in pkgutil.iter_modules(__path__):
        names.append(f'{__name__}.{info.name}')
        importlib.import_module(names[-1])
    for key, cls in MASKERS.module_dict.items():
        if cls.__module__.startswith(__name__ + '.'):
            globals()[key] = cls
    return names


import_all()
