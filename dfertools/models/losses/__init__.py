"""dfertools.models.losses."""
from .hrd import HRDPolicyLoss  # noqa: F401
from .hsm import HardSampleMining  # noqa: F401
from .reconstruction import MaskedReconstructionLoss  # noqa: F401
