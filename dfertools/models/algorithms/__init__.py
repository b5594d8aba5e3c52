"""dfertools.models.algorithms."""
from .masked_pretrainer import MaskedVideoPretrainer  # noqa: F401
from .supervised_mae import SupervisedMAE  # noqa: F401
from .hdf import HDFRecognizer  # noqa: F401
