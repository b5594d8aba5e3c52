"""The parts of a config's test pipeline that inference needs.

* :func:`config_test_pipeline` — the test dataset's pipeline (or
  ``cfg.test_pipeline``); :func:`config_test_dataset` — the test dataset config
  (unwrapping ``RepeatDataset``-style wrappers);
* :func:`class_names` — the class names of the model's outputs, from the
  config's dataset;
* :func:`split_at_decode` — the transforms up to the decode step (open,
  sample frames, decode) and those after it (resize, crop, format, pack),
  so sliding-window inference can feed frames it decoded itself;
* :func:`with_face_crop` — the pipeline with a ``FaceCrop`` right after the
  decode step (``--detect-face``).
"""
import inspect
from typing import List, Optional, Tuple

from mmengine.config import Config

from dfertools.datasets.classes import get_classes

SAMPLERS = ('SampleFrames', 'DFERSampleFrames', 'UniformSample',
            'UniformSampleFrames')


def _type_name(t: dict) -> str:
    name = t.get('type', '')
    return name if isinstance(name, str) else getattr(name, '__name__', '')


def config_test_dataset(cfg: Config) -> dict:
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
    ds = dict(loader.get('dataset', {}))
    while 'dataset' in ds and 'ann_file' not in ds:  # dataset wrappers
        ds = dict(ds['dataset'])
    return ds


def config_test_pipeline(cfg: Config) -> list:
    """The test dataset's pipeline as a transform list (a pipeline
    description such as ``DFERClipPipeline`` expanded for the test dataset's
    ``num_views``), else ``cfg.test_pipeline``."""
    from dfertools.datasets.clip_pipeline import dataset_pipeline
    ds = config_test_dataset(cfg)
    pipeline = (dataset_pipeline(dict(ds, test_mode=True))
                if ds.get('pipeline') else cfg.get('test_pipeline'))
    if not pipeline:
        raise KeyError(f'{cfg.filename}: no test_pipeline (nor '
                       'test_dataloader.dataset.pipeline) in the config.')
    return [dict(t) for t in pipeline]


def _dataset_default_name(ds: dict) -> Optional[str]:
    """The ``dataset_name`` default of the dataset class (DFERDataset:
    'dfew'), if the config does not set one."""
    from dfertools.registry import DATASETS
    try:
        cls = DATASETS.get(_type_name(ds))
    except Exception:  # unregistered / not importable: no default
        return None
    if cls is None:
        return None
    param = inspect.signature(cls.__init__).parameters.get('dataset_name')
    if param is None or param.default is inspect.Parameter.empty:
        return None
    return param.default


def class_names(cfg: Config, num_classes: int) -> List[str]:
    """Names of the ``num_classes`` outputs: ``cfg.class_names``, else the
    test dataset's ``classes`` / ``metainfo.classes``, else the classes of
    its ``dataset_name`` (or of the dataset type's default), else
    ``'0'..'C-1'``. Names whose count differs from ``num_classes`` are
    skipped."""
    ds = config_test_dataset(cfg)
    candidates = [cfg.get('class_names'), ds.get('classes'),
                  (ds.get('metainfo') or {}).get('classes')]
    name = ds.get('dataset_name', _dataset_default_name(ds)) \
        if ds else cfg.get('dataset_name')
    if name:
        try:
            candidates.append(get_classes(name))
        except KeyError:
            pass
    for names in candidates:
        if names and len(names) == num_classes:
            return [str(n) for n in names]
    return [str(i) for i in range(num_classes)]


def decode_index(pipeline: list) -> int:
    """Index of the decode step (the last transform named ``*Decode``)."""
    idx = [i for i, t in enumerate(pipeline)
           if _type_name(t).endswith('Decode')]
    if not idx:
        raise ValueError('the test pipeline has no decode step (a transform '
                         'named *Decode, e.g. VideoDecode); inference needs '
                         'one to insert the face crop / feed frames.')
    return idx[-1]


def split_at_decode(pipeline: list) -> Tuple[list, list]:
    i = decode_index(pipeline)
    return pipeline[:i + 1], pipeline[i + 1:]


def sampling_params(pipeline: list) -> Tuple[int, int]:
    """``(clip_len, frame_interval)`` of the pipeline's frame sampler."""
    for t in pipeline:
        if _type_name(t) in SAMPLERS:
            return int(t.get('clip_len', 16)), int(t.get('frame_interval',
                                                         1))
    raise ValueError('the test pipeline has no frame sampler '
                     f'({", ".join(SAMPLERS)}); cannot size the windows.')


def decode_size(pipeline: list) -> Optional[Tuple[int, int]]:
    """``VideoInit(decode_size=(w, h))`` of the pipeline, if any."""
    for t in pipeline:
        if t.get('decode_size'):
            return tuple(t['decode_size'])
    return None


def default_face_size(pipeline: list) -> int:
    """Face-crop side that fits the rest of the pipeline: the decode height
    of a pipeline that decodes to a fixed size (its crops expect that
    size), else 224 (the pipeline resizes after)."""
    size = decode_size(pipeline)
    return int(size[1]) if size else 224


def with_face_crop(pipeline: list, face_crop: dict) -> list:
    """``pipeline`` with ``dict(type='FaceCrop', **face_crop)`` after the
    decode step (``size`` defaults to :func:`default_face_size`)."""
    cfg = dict(type='FaceCrop', **face_crop)
    cfg.setdefault('size', default_face_size(pipeline))
    i = decode_index(pipeline)
    return pipeline[:i + 1] + [cfg] + pipeline[i + 1:]
