"""Errors raised while reading videos (DESIGN §9)."""

DATA_DOC = 'docs/data_preparation.md'


class CorruptVideoError(RuntimeError):
    """A video or frame folder exists but cannot be decoded.

    The loading transforms raise it (naming the file); in training the
    dataset logs it once and substitutes another sample.
    """
