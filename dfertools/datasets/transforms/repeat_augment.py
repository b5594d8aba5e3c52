"""Repeated sampling for pretraining (VideoMAE's "repeated
augmentation"): ``R`` independently augmented clips from ONE decode.

Decoding dominates the cost of a clip (docs/benchmarks.md), so a
pretraining loader that returns ``R`` augmentations of each decoded clip
gives ``R`` times the clips for little more work. :class:`RepeatAugment`
runs its ``transforms`` (the random augmentations: crop, resize, flip) ``R``
times on the decoded frames and concatenates the results as ``R`` clips of
the sample (``num_clips`` multiplied by ``R``). ``FormatShape('NCTHW')``
then gives ``inputs`` of shape ``[R, C, T, H, W]``, the data preprocessor
stacks a batch to ``[B, R, C, T, H, W]`` and ``MaskedVideoPretrainer``
reshapes that to ``B x R`` clips, each with its own mask.

Place it after ``VideoDecode`` and before ``FormatShape``; every repeat
must end at the same frame size (end the transforms with a fixed
``Resize``). Per-repeat crop boxes and flips are kept in
``results['repeat_params']``.
"""
from typing import List

from mmcv.transforms import BaseTransform, Compose

from dfertools.registry import TRANSFORMS

# keys whose value differs per repeat and is recorded in ``repeat_params``
RECORDED_KEYS = ('crop_bbox', 'flip', 'flip_direction', 'img_shape')


@TRANSFORMS.register_module()
class RepeatAugment(BaseTransform):
    """Apply ``transforms`` ``num_repeats`` times to one decoded clip.

    Args:
        transforms: the augmentation pipeline (config dicts) to repeat.
        num_repeats: clips per decoded video (``R >= 1``).
    """

    def __init__(self, transforms: List[dict], num_repeats: int = 2) -> None:
        if int(num_repeats) < 1:
            raise ValueError(f'RepeatAugment: num_repeats must be >= 1, got '
                             f'{num_repeats}.')
        self.num_repeats = int(num_repeats)
        self.pipeline = Compose([TRANSFORMS.build(t) if isinstance(t, dict)
                                 else t for t in transforms])

    def transform(self, results: dict) -> dict:
        if 'imgs' not in results:
            raise KeyError('RepeatAugment needs decoded frames '
                           "(results['imgs']): put it after VideoDecode.")
        outs = []
        for r in range(self.num_repeats):
            res = dict(results)
            # mmcv's Flip flips in place: every repeat but the last works on
            # copies of the decoded frames so none sees another's flip
            last = r == self.num_repeats - 1
            res['imgs'] = [img if last else img.copy()
                           for img in results['imgs']]
            res = self.pipeline(res)
            if res is None:
                raise RuntimeError(f'RepeatAugment: {self.pipeline} dropped '
                                   'the sample.')
            outs.append(res)
        shapes = {tuple(img.shape) for res in outs for img in res['imgs']}
        if len(shapes) != 1:
            raise ValueError(
                f'RepeatAugment: the repeats end at different frame shapes '
                f'{sorted(shapes)}; end its transforms with a fixed-size '
                f'Resize(scale=(W, H), keep_ratio=False).')
        merged = outs[0]
        merged['imgs'] = [img for res in outs for img in res['imgs']]
        merged['num_clips'] = results.get('num_clips', 1) * self.num_repeats
        merged['repeat_params'] = [
            {k: res[k] for k in RECORDED_KEYS if k in res} for res in outs]
        return merged

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_repeats={self.num_repeats}, '
                f'transforms={self.pipeline})')
