"""dfertools.models.algorithms."""
from .masked_pretrainer import MaskedVideoPretrainer  # noqa: F401
