"""``--cfg-options KEY=VALUE ...`` of the tools.

MMEngine's ``DictAction`` removes every space from a value, so a path with
a space (``data_root=/data/my videos``) silently becomes another path, and a
``KEY`` without ``=`` ends in a bare ``ValueError`` traceback. This action
keeps single values as written (quotes stripped, then int/float/bool/None
parsed as MMEngine does), parses bracketed or comma-separated values as
MMEngine's lists/tuples, and reports malformed items as a usage error.

:func:`check_override_types` then refuses an override whose type cannot
work where the config already has a number, e.g. ``train_cfg.max_epochs=abc``.
"""
import argparse
from typing import Any

from mmengine.config import DictAction


class CfgOptionsAction(DictAction):
    """``DictAction`` that keeps spaces in single values."""

    @staticmethod
    def parse_value(val: str) -> Any:
        stripped = val.strip()
        if (stripped[:1] in '[(' and stripped[-1:] in '])') \
                or ',' in stripped:
            return DictAction._parse_iterable(stripped)
        if len(stripped) >= 2 and stripped[0] == stripped[-1] \
                and stripped[0] in '\'"':
            stripped = stripped[1:-1]
        return DictAction._parse_int_float_bool(stripped)

    def __call__(self, parser, namespace, values, option_string=None):
        options = dict(getattr(namespace, self.dest, None) or {})
        for item in values or []:
            key, sep, val = item.partition('=')
            if not sep or not key.strip():
                parser.error(
                    f'{option_string} {item!r}: expected KEY=VALUE, e.g. '
                    'train_cfg.max_epochs=5 or '
                    'train_dataloader.dataset.data_root="/data/my videos"')
            options[key.strip()] = self.parse_value(val)
        setattr(namespace, self.dest, options)


def _lookup(cfg: Any, dotted: str):
    """The value at ``a.b.0.c`` of a config (or dict), and whether it exists."""
    node = cfg
    for part in dotted.split('.'):
        if isinstance(node, (list, tuple)):
            if not part.isdigit() or int(part) >= len(node):
                return None, False
            node = node[int(part)]
            continue
        try:
            if part not in node:
                return None, False
            node = node[part]
        except TypeError:  # not a mapping
            return None, False
    return node, True


def check_override_types(cfg: Any, options: dict, source: str) -> None:
    """Refuse an override that gives a string where ``cfg`` has a number or
    a bool, naming the key, the old value and the new one."""
    for key, new in options.items():
        old, found = _lookup(cfg, key)
        if not found or old is None or not isinstance(new, str):
            continue
        if isinstance(old, (bool, int, float)):
            kind = type(old).__name__
            raise argparse.ArgumentTypeError(
                f'--cfg-options {key}={new!r}: {source} sets {key} = {old!r} '
                f'(a {kind}); give a {kind}, e.g. {key}={old!r}')
