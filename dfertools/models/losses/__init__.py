"""dfertools.models.losses."""
from .hrd import HRDPolicyLoss  # noqa: F401
from .hsm import HardSampleMining  # noqa: F401
from .reconstruction import MaskedReconstructionLoss  # noqa: F401
from .grad_norm_scaler import GradNormLossScaler  # noqa: F401
from .ib_dro_supcon import IBDROSupConLoss  # noqa: F401
