"""``DFERClipPipeline``: the one parameterised clip pipeline that every
dataset config shares.

A dataset config does not list transforms. It writes the few numbers a
recipe chooses, and the dataset expands them into the transform list for
its mode (training, or test with its ``num_views``)::

    pipeline = dict(type='DFERClipPipeline', clip_len=16, frame_interval=4,
                    input_size=160, resize='short', area_range=(0.6, 1.0))

A child config changes one of them by merging a dict, e.g.
``train_dataloader = dict(dataset=dict(pipeline=dict(input_size=224)))``;
the training and test pipelines cannot drift apart because they are the same
description (docs/design.md, 'The data path').

Expansion (``[...]`` = only when the argument asks for it)::

    VideoInit(**load)
    DFERSampleFrames(clip_len, frame_interval)   test: + test_mode, views
    VideoDecode
    [frame_crop]          a fixed crop of every frame (e.g. VoxCeleb2Crop)
    [Resize]              'short': shorter side -> input_size;
                          'square': input_size x input_size
    train, area_range:    RandomResizedCropFlip(input_size, area_range,
                                                flip_ratio)
    train, no area_range: [CenterCrop(input_size)], [Flip(flip_ratio)]
    [ColorJitter]         train only, brightness = contrast = saturation
    test:                 [CenterCrop(input_size)], or
                          SpatialViewCrop(input_size, num_crops)
    FormatShape('NCTHW'), PackActionInputs(meta_keys)

The centre crop is left out after ``resize='square'`` (the frame already
has the input size). With ``num_crops = M`` the dataset's ``num_views`` counts
every (temporal window, crop) pair, so the sampler gets ``num_views / M``
temporal windows.

Other builders can be registered in ``dfertools.registry.PIPELINES``; a
dataset also still accepts a plain transform list.
"""
from typing import Callable, List, Optional, Sequence, Tuple, Union

from dfertools.registry import PIPELINES

RESIZE_MODES = ('short', 'square', None)
DEFAULT_META_KEYS = ('video_id', 'view_id', 'img_shape')


@PIPELINES.register_module(name='DFERClipPipeline')
def dfer_clip_pipeline(clip_len: int,
                       frame_interval: int,
                       input_size: int,
                       test_mode: bool = False,
                       num_views: int = 1,
                       num_crops: int = 1,
                       load: Optional[dict] = None,
                       frame_crop: Optional[dict] = None,
                       resize: Optional[str] = 'short',
                       area_range: Optional[Tuple[float, float]] = (0.6,
                                                                    1.0),
                       flip_ratio: float = 0.5,
                       color_jitter: float = 0.0,
                       meta_keys: Sequence[str] = DEFAULT_META_KEYS
                       ) -> List[dict]:
    """The transform configs of one clip pipeline (see the module doc).

    Args:
        clip_len, frame_interval: frames per clip and the step between them.
        input_size: side of the square model input.
        test_mode, num_views: set by the dataset (its own arguments).
        num_crops: spatial test views per temporal window.
        load: ``VideoInit`` arguments (default ``backend='cv2'``).
        frame_crop: a transform config applied to every decoded frame
            first, in both modes.
        resize: ``'short'``, ``'square'`` or ``None`` (see the module doc).
        area_range: training crop area range; ``None`` for no random crop.
        flip_ratio: training horizontal flip probability.
        color_jitter: training brightness/contrast/saturation jitter (0: off).
        meta_keys: what ``PackActionInputs`` keeps.
    """
    if resize not in RESIZE_MODES:
        raise ValueError(f'DFERClipPipeline: resize={resize!r}; use one of '
                         f'{RESIZE_MODES}.')
    if num_crops < 1 or num_views % num_crops:
        raise ValueError(
            f'DFERClipPipeline: the dataset has num_views={num_views}, not a '
            f'multiple of num_crops={num_crops}; set the dataset\'s '
            'num_views to temporal windows x num_crops.')
    sampler = dict(type='DFERSampleFrames', clip_len=clip_len,
                   frame_interval=frame_interval)
    if test_mode:
        sampler.update(test_mode=True, num_views=num_views // num_crops)
        if num_crops > 1:
            sampler['num_crops'] = num_crops
    steps = [dict(dict(type='VideoInit', backend='cv2'), **(load or {})),
             sampler, dict(type='VideoDecode')]
    if frame_crop:
        steps.append(dict(frame_crop))
    if resize == 'short':
        steps.append(dict(type='Resize', scale=(-1, input_size)))
    elif resize == 'square':
        steps.append(dict(type='Resize', scale=(input_size, input_size),
                          keep_ratio=False))
    centre = [] if resize == 'square' else [
        dict(type='CenterCrop', crop_size=input_size)]
    if test_mode:
        steps += centre if num_crops == 1 else [
            dict(type='SpatialViewCrop', crop_size=input_size,
                 num_crops=num_crops)]
    else:
        steps += _train_augmentation(input_size, area_range, flip_ratio,
                                     color_jitter, centre)
    return steps + [dict(type='FormatShape', input_format='NCTHW'),
                    dict(type='PackActionInputs', meta_keys=tuple(meta_keys))]


def _train_augmentation(input_size, area_range, flip_ratio, color_jitter,
                        centre) -> List[dict]:
    if area_range:
        steps = [dict(type='RandomResizedCropFlip', size=input_size,
                      area_range=tuple(area_range), flip_ratio=flip_ratio)]
    else:
        steps = list(centre)
        if flip_ratio:
            steps.append(dict(type='Flip', flip_ratio=flip_ratio))
    if color_jitter:
        steps.append(dict(type='ColorJitter', brightness=color_jitter,
                          contrast=color_jitter, saturation=color_jitter,
                          hue=0.0))
    return steps


PipelineSpec = Union[dict, Sequence[Union[dict, Callable]], None]


def resolve_pipeline(pipeline: PipelineSpec, test_mode: bool = False,
                     num_views: int = 1) -> list:
    """The transform list of a dataset's ``pipeline`` argument: a list as
    given, or a registered pipeline description (a dict with a ``type`` in
    ``PIPELINES``) expanded for ``test_mode`` and ``num_views``."""
    if pipeline is None:
        return []
    if isinstance(pipeline, dict):
        if 'type' not in pipeline:
            raise ValueError(
                'a dataset pipeline given as a dict needs a type, e.g. '
                "dict(type='DFERClipPipeline', clip_len=16, ...); got "
                f'{dict(pipeline)}. A list of transforms works too.')
        return list(PIPELINES.build(dict(pipeline), default_args=dict(
            test_mode=test_mode, num_views=num_views)))
    return list(pipeline)


def dataset_pipeline(dataset_cfg: dict) -> list:
    """The transform list a dataset config's ``pipeline`` expands to, for
    that config's ``test_mode`` and ``num_views`` (tools that read a
    config's pipeline without building the dataset)."""
    return [dict(t) if isinstance(t, dict) else t for t in resolve_pipeline(
        dataset_cfg.get('pipeline'), bool(dataset_cfg.get('test_mode')),
        int(dataset_cfg.get('num_views', 1)))]
