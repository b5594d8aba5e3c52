"""The fixed VoxCeleb2 face crop (docs/design.md,
'VoxCeleb2 crop').

VoxCeleb2 face-track frames are 224×224 with the face in the upper middle;
the DFER pretraining recipes keep rows 0:160 and columns 32:192 (a 160×160
square) *before* any other crop or resize. The transform validates the
frame size so that a resized copy of the dataset is not cropped silently
at the wrong place.
"""
from typing import Optional, Tuple

from mmcv.transforms import BaseTransform

from dfertools.registry import TRANSFORMS


@TRANSFORMS.register_module()
class VoxCeleb2Crop(BaseTransform):
    """Crop ``imgs`` to ``rows[0]:rows[1]``, ``cols[0]:cols[1]``.

    Args:
        rows: row range (default 0:160).
        cols: column range (default 32:192).
        expected_shape: ``(H, W)`` the frames must have (default 224×224);
            ``None`` skips the check.
    """

    def __init__(self, rows: Tuple[int, int] = (0, 160),
                 cols: Tuple[int, int] = (32, 192),
                 expected_shape: Optional[Tuple[int, int]] = (224, 224)
                 ) -> None:
        if not (0 <= rows[0] < rows[1] and 0 <= cols[0] < cols[1]):
            raise ValueError(f'invalid crop rows={rows} cols={cols}')
        if expected_shape is not None and (
                rows[1] > expected_shape[0] or cols[1] > expected_shape[1]):
            raise ValueError(f'crop rows={rows} cols={cols} exceeds '
                             f'expected_shape={expected_shape}')
        self.rows = tuple(rows)
        self.cols = tuple(cols)
        self.expected_shape = tuple(expected_shape) \
            if expected_shape is not None else None

    def transform(self, results: dict) -> dict:
        imgs = results['imgs']
        shape = tuple(imgs[0].shape[:2])
        ok = (shape == self.expected_shape if self.expected_shape else
              shape[0] >= self.rows[1] and shape[1] >= self.cols[1])
        if not ok:
            raise ValueError(
                f'{results.get("filename", "<clip>")}: VoxCeleb2Crop expects '
                f'{self.expected_shape or "larger"} frames, got {shape}. Use '
                'the original 224x224 VoxCeleb2 face tracks, or set '
                'rows/cols/expected_shape for your frame size.')
        r0, r1 = self.rows
        c0, c1 = self.cols
        results['imgs'] = [img[r0:r1, c0:c1] for img in imgs]
        results['img_shape'] = (r1 - r0, c1 - c0)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(rows={self.rows}, '
                f'cols={self.cols}, expected_shape={self.expected_shape})')
