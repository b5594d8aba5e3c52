"""dfertools.datasets."""
from . import transforms  # noqa: F401
from .clip_pipeline import dataset_pipeline, resolve_pipeline  # noqa: F401
from .dfer_dataset import DFERDataset, UnlabeledVideoDataset  # noqa: F401
from .bad_sample_hook import BadSampleHook  # noqa: F401
from .bad_samples import BadSampleCounter, TooManyBadSamplesError  # noqa: F401
