"""``FaceCrop``: the face-extraction crop as a pipeline transform.

Put it right after the decode step (``VideoDecode``/``DecordDecode``) of a
pipeline for clips that are not face crops already (any video; see
docs/inference.md). It runs :class:`dfertools.datasets.faces.FaceCropper`
on the decoded ``imgs`` — detect, keep one face track, fill frames without
a detection, smooth the box over time, square crop with margin — exactly
as ``tools/data/extract_faces.py`` does over the clip's frames. Detection
runs on the sampled frames only, so smoothing is over those frames.

A clip without a face raises ``NoFaceError`` naming it
(``on_no_face='error'``, default) or, with ``on_no_face='center'``, is cropped
to its central square at ``size`` so a batch goes on.
"""
from typing import Optional

import cv2

from dfertools.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from ..faces.cropper import FaceCropper, NoFaceError


@TRANSFORMS.register_module()
class FaceCrop(BaseTransform):
    """Crop ``imgs`` to one tracked face, ``size × size``.

    Args: see :class:`~dfertools.datasets.faces.FaceCropper` (``detector``
    a ``FACE_DETECTORS`` config dict, ``size``, ``margin``, ``sigma``,
    ``align``, ``detect_every``, ``min_face_frames``) and ``on_no_face`` (``'error'`` or
    ``'center'``). Writes ``imgs``, ``img_shape`` and ``face_detected``
    (per-frame bool).
    """

    def __init__(self, detector: Optional[dict] = None, size: int = 224,
                 margin: float = 0.25, sigma: float = 2.0,
                 align: bool = False, detect_every: int = 1,
                 min_face_frames: float = 0.0,
                 on_no_face: str = 'error') -> None:
        if on_no_face not in ('error', 'center'):
            raise ValueError("FaceCrop: on_no_face must be 'error' or "
                             f"'center', got {on_no_face!r}")
        self.cropper = FaceCropper(detector, size=size, margin=margin,
                                   sigma=sigma, align=align,
                                   detect_every=detect_every,
                                   min_face_frames=min_face_frames)
        self.on_no_face = on_no_face

    def transform(self, results: dict) -> dict:
        imgs = list(results['imgs'])
        size = self.cropper.size
        try:
            crops, track = self.cropper(
                imgs, str(results.get('filename', '<clip>')))
            detected = track.detected.tolist()
        except NoFaceError:
            if self.on_no_face == 'error':
                raise
            crops, detected = [_center_square(i, size) for i in imgs], \
                [False] * len(imgs)
        results['imgs'] = crops
        results['img_shape'] = (size, size)
        results['face_detected'] = detected
        return results

    def __repr__(self) -> str:
        c = self.cropper
        return (f'{self.__class__.__name__}(detector='
                f'{type(c.detector).__name__}, size={c.size}, '
                f'margin={c.margin}, sigma={c.sigma}, align={c.align}, '
                f'on_no_face={self.on_no_face!r})')


def _center_square(img, size: int):
    h, w = img.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    return cv2.resize(img[y:y + s, x:x + s], (size, size),
                      interpolation=cv2.INTER_AREA)
