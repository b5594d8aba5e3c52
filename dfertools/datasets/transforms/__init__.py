"""dfertools.datasets.transforms."""
from .loading import VideoDecode, VideoInit  # noqa: F401
from .sampling import DFERSampleFrames  # noqa: F401
from .voxceleb2_crop import VoxCeleb2Crop  # noqa: F401
from .repeat_augment import RepeatAugment  # noqa: F401
from .random_resized_crop_flip import RandomResizedCropFlip  # noqa: F401
from .face_crop import FaceCrop  # noqa: F401
from .spatial_views import SpatialViewCrop  # noqa: F401
