"""Random resized crop and horizontal flip of a clip in one step.

The training augmentation of MAE-DFER / VideoMAE fine-tuning is mmaction2's
``RandomResizedCrop`` -> ``Resize(size, keep_ratio=False)`` -> ``Flip``.
:class:`RandomResizedCropFlip` draws the same random box and flip and gives
the same pixels
(``tests/datasets/transforms/test_random_resized_crop_flip.py`` checks both
against the three mmaction2 transforms), but

* it draws from the sample's own generator
  (:func:`~dfertools.datasets.sample_rng.sample_rng`), so it is reproducible
  under the thread loader; mmaction2's two draw from numpy's and python's
  global RNGs;
* it resizes every frame's crop straight into one preallocated
  ``[T, H, W, C]`` uint8 array and flips it there, instead of building a
  list of crops, a list of resized frames and flipping each in place.

Box sampling (as mmaction2's and torchvision's): ``max_attempts`` candidate
areas uniform in ``area_range`` x frame area and aspect ratios log-uniform
in ``aspect_ratio_range``; the first that fits is placed uniformly at
random; if none fits, the centred square of the shorter side is used.
"""
from typing import Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from dfertools.registry import TRANSFORMS
from ..sample_rng import sample_rng

_INTERP = {'nearest': cv2.INTER_NEAREST, 'bilinear': cv2.INTER_LINEAR,
           'bicubic': cv2.INTER_CUBIC, 'area': cv2.INTER_AREA}


def crop_box(rng, height: int, width: int, area_range: Tuple[float, float],
             aspect_ratio_range: Tuple[float, float],
             max_attempts: int = 10) -> Tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of a random crop (see module doc)."""
    lo, hi = np.log(aspect_ratio_range[0]), np.log(aspect_ratio_range[1])
    ratios = np.exp(rng.uniform(lo, hi, size=max_attempts))
    areas = rng.uniform(*area_range, size=max_attempts) * (height * width)
    crop_w = np.round(np.sqrt(areas * ratios)).astype(np.int64)
    crop_h = np.round(np.sqrt(areas / ratios)).astype(np.int64)
    for cw, ch in zip(crop_w.tolist(), crop_h.tolist()):
        if ch <= height and cw <= width:
            left = int(rng.randint(0, width - cw + 1))
            top = int(rng.randint(0, height - ch + 1))
            return left, top, left + cw, top + ch
    side = min(height, width)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


@TRANSFORMS.register_module()
class RandomResizedCropFlip(BaseTransform):
    """Random resized crop to ``size`` and horizontal flip of ``imgs``.

    Reads ``imgs`` (a list of ``[H, W, C]`` frames or a ``[T, H, W, C]``
    array); writes ``imgs`` (``[T, h, w, C]`` uint8 array), ``img_shape``,
    ``crop_bbox`` (``[left, top, right, bottom]`` in the input frame),
    ``flip`` and ``flip_direction``.

    Args:
        size: output ``(h, w)``, or one int for a square.
        area_range: range of the crop's area as a fraction of the frame's.
        aspect_ratio_range: range of the crop's width / height.
        flip_ratio: probability of a horizontal flip.
        max_attempts: candidate boxes before the centred-square fallback.
        interpolation: ``'bilinear'`` (mmaction2's ``Resize`` default),
            ``'nearest'``, ``'bicubic'`` or ``'area'``.
    """

    def __init__(self, size: Union[int, Sequence[int]],
                 area_range: Tuple[float, float] = (0.08, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3 / 4, 4 / 3),
                 flip_ratio: float = 0.5, max_attempts: int = 10,
                 interpolation: str = 'bilinear') -> None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'RandomResizedCropFlip: size must be an int or '
                             f'(h, w) of positive ints, got {size}.')
        if not 0 < area_range[0] <= area_range[1] <= 1:
            raise ValueError('RandomResizedCropFlip: area_range must satisfy '
                             f'0 < min <= max <= 1, got {area_range}.')
        if not 0 < aspect_ratio_range[0] <= aspect_ratio_range[1]:
            raise ValueError('RandomResizedCropFlip: aspect_ratio_range must '
                             f'satisfy 0 < min <= max, got '
                             f'{aspect_ratio_range}.')
        if not 0 <= flip_ratio <= 1:
            raise ValueError(f'RandomResizedCropFlip: flip_ratio must be in '
                             f'[0, 1], got {flip_ratio}.')
        if interpolation not in _INTERP:
            raise ValueError(f'RandomResizedCropFlip: interpolation must be '
                             f'one of {sorted(_INTERP)}, got '
                             f'{interpolation!r}.')
        self.size = (int(size[0]), int(size[1]))
        self.area_range = tuple(area_range)
        self.aspect_ratio_range = tuple(aspect_ratio_range)
        self.flip_ratio = float(flip_ratio)
        self.max_attempts = int(max_attempts)
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        imgs = results['imgs']
        if len(imgs) == 0:
            raise ValueError(f'{results.get("filename")}: no frames to crop')
        height, width = imgs[0].shape[:2]
        rng = sample_rng()
        left, top, right, bottom = crop_box(
            rng, height, width, self.area_range, self.aspect_ratio_range,
            self.max_attempts)
        flip = bool(rng.rand() < self.flip_ratio)
        out_h, out_w = self.size
        out = np.empty((len(imgs), out_h, out_w) + imgs[0].shape[2:],
                       dtype=imgs[0].dtype)
        interp = _INTERP[self.interpolation]
        for frame, dst in zip(imgs, out):
            src = frame[top:bottom, left:right]
            if src.ndim == 3 and src.shape[2] == 1:  # cv2 drops that axis
                src, dst = src[..., 0], dst[..., 0]
            cv2.resize(src, (out_w, out_h), dst=dst, interpolation=interp)
            if flip:
                cv2.flip(dst, 1, dst=dst)
        results['imgs'] = out
        results['img_shape'] = (out_h, out_w)
        results['crop_bbox'] = np.array([left, top, right, bottom])
        results['flip'] = flip
        results['flip_direction'] = 'horizontal'
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, '
                f'area_range={self.area_range}, '
                f'aspect_ratio_range={self.aspect_ratio_range}, '
                f'flip_ratio={self.flip_ratio}, '
                f'interpolation={self.interpolation!r})')
