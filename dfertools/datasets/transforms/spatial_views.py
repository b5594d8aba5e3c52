"""Spatial test views: :class:`SpatialViewCrop` (VideoMAE / MAE-DFER
"test_num_crop").

With ``num_crops=M`` next to ``DFERSampleFrames(num_views=N,
num_crops=M)``, a video is tested on ``N x M`` views: the dataset's
``num_views`` is the total ``N*M`` and view ``v`` takes temporal window
``v // M`` and spatial crop ``v % M``; ``DFERMetric`` averages the
probabilities of all ``N*M`` views of a video. Crop ``i`` of ``M`` is a
``crop_size`` square placed at ``round(i * (L - crop_size) / (M - 1))``
along the longer side ``L`` (so 2 crops are the two ends) and centred on
the shorter side; one crop is the centre crop. On square frames all crops
coincide.
"""
from mmcv.transforms import BaseTransform

from dfertools.registry import TRANSFORMS


def crop_offset(length: int, crop: int, index: int, num: int) -> int:
    """Start of crop ``index`` of ``num`` evenly placed along ``length``."""
    if num == 1:
        return (length - crop) // 2
    return int(round(index * (length - crop) / (num - 1)))


@TRANSFORMS.register_module()
class SpatialViewCrop(BaseTransform):
    """Crop ``imgs`` to the spatial view ``view_id % num_crops``.

    Reads ``imgs`` (``H x W x C`` arrays, all the same size) and
    ``view_id`` (default 0); writes ``imgs``, ``img_shape`` and
    ``crop_bbox`` (``x1, y1, x2, y2``).

    Args:
        crop_size: side of the square crop (frames must be at least that
            large; resize first).
        num_crops: spatial views per temporal window (M).
    """

    def __init__(self, crop_size: int, num_crops: int = 1) -> None:
        if crop_size < 1 or num_crops < 1:
            raise ValueError('crop_size and num_crops must be >= 1')
        self.crop_size = crop_size
        self.num_crops = num_crops

    def transform(self, results: dict) -> dict:
        imgs = results['imgs']
        h, w = imgs[0].shape[:2]
        c = self.crop_size
        if h < c or w < c:
            raise ValueError(
                f'{results.get("filename")}: frames of {h}x{w} are smaller '
                f'than crop_size={c}; resize them first')
        index = int(results.get('view_id', 0)) % self.num_crops
        if w >= h:
            x1 = crop_offset(w, c, index, self.num_crops)
            y1 = (h - c) // 2
        else:
            x1 = (w - c) // 2
            y1 = crop_offset(h, c, index, self.num_crops)
        results['imgs'] = [img[y1:y1 + c, x1:x1 + c] for img in imgs]
        results['img_shape'] = (c, c)
        results['crop_bbox'] = (x1, y1, x1 + c, y1 + c)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'num_crops={self.num_crops})')
