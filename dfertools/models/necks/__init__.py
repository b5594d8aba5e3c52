"""dfertools.models.necks."""
from .mae_decoder import MAEDecoder  # noqa: F401
