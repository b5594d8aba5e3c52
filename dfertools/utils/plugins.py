"""Automatic import of third-party packages (docs/design.md,
'Registries and plugins').

Any installed distribution that declares an entry point in the group
``dfertools.plugins`` is imported once, the first time a dfertools registry
imports its locations. The entry point's value names a module (or
``module:attr``; the attribute, if callable, is called with no arguments).
A plugin that fails to import is reported with its name and the error, and
the build carries on without it rather than dying deep inside a run. That
includes a plugin that calls ``sys.exit()`` while it is imported: the
``SystemExit`` would otherwise end whichever tool happened to build
something first, with no word about the plugin. (``KeyboardInterrupt``
still stops the tool; a plugin calling ``os._exit`` cannot be caught.)
"""
import importlib
import logging
import warnings

GROUP = 'dfertools.plugins'
_loaded: dict = {}
_done = False


def _entry_points():
    from importlib import metadata
    eps = metadata.entry_points()
    if hasattr(eps, 'select'):
        return list(eps.select(group=GROUP))
    return list(eps.get(GROUP, []))  # pragma: no cover - python < 3.10


def load_plugins(force: bool = False) -> dict:
    """Import every ``dfertools.plugins`` entry point once.

    Returns a mapping ``entry point name -> module`` of the plugins loaded.
    ``force=True`` rescans (used by tests that add a dist-info at run time).
    """
    global _done
    if _done and not force:
        return _loaded
    _done = True
    for ep in _entry_points():
        if ep.name in _loaded:
            continue
        try:
            obj = ep.load()
            if callable(obj) and not isinstance(obj, type(importlib)):
                obj()
            _loaded[ep.name] = obj
        except (Exception, SystemExit) as e:  # noqa: BLE001 - report, skip
            msg = (f'dfertools plugin {ep.name!r} ({ep.value}) failed to '
                   f'import: {type(e).__name__}: {e}. It was skipped and '
                   'dfertools carries on without it; fix or uninstall it.')
            warnings.warn(msg)
            logging.getLogger('dfertools').warning(msg)
    return _loaded
