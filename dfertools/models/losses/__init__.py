"""dfertools.models.losses."""
from .grad_norm_scaler import GradNormLossScaler  # noqa: F401
from .ib_dro_supcon import IBDROSupConLoss  # noqa: F401
