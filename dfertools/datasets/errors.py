"""Errors raised while reading videos (docs/design.md, 'Reliability
principles')."""

DATA_DOC = 'docs/data_preparation.md'


class CorruptVideoError(RuntimeError):
    """A video or frame folder exists but cannot be decoded.

    The loading transforms raise it (naming the file); in training the
    dataset logs it once and substitutes another sample.
    """


class DecodeTimeoutError(CorruptVideoError):
    """Loading one sample took longer than the dataset's ``decode_timeout``
    (a hung network read, a file that never ends); counted as corrupt."""
