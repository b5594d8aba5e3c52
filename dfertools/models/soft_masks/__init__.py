"""dfertools.models.soft_masks."""
from .class_agnostic import ClassAgnosticSoftMask  # noqa: F401
from .class_semantic import ClassSemanticSoftMask  # noqa: F401
from .temporal_soft_mask import AdaptiveTemporalSoftMask  # noqa: F401
