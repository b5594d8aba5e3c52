"""Square (optionally eye-aligned) face crops along a face track.

The crop of frame ``t`` is the square of side ``(1 + 2 * margin) * side``
centred on the (smoothed) face centre, resampled to ``size × size``. With
eye alignment the square is also rotated about its centre by the eye-line
angle, so the eyes come out level. Parts of the square outside the frame
are filled with ``border_value`` (black by default). One affine warp per
frame does crop, rotation and resize together.
"""
import cv2
import numpy as np


def crop_matrix(center, side: float, size: int, margin: float = 0.25,
                angle: float = 0.0) -> np.ndarray:
    """2×3 affine matrix taking frame pixels to crop pixels."""
    crop_side = max(float(side) * (1.0 + 2.0 * margin), 1.0)
    scale = size / crop_side
    cx, cy = float(center[0]), float(center[1])
    m = cv2.getRotationMatrix2D((cx, cy), float(angle), scale)
    m[:, 2] += (size / 2.0 - cx, size / 2.0 - cy)
    return m


def crop_face(frame: np.ndarray, center, side: float, size: int,
              margin: float = 0.25, angle: float = 0.0,
              border_value: int = 0) -> np.ndarray:
    """The ``size × size`` crop of one frame."""
    m = crop_matrix(center, side, size, margin, angle)
    return cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(border_value,) * 3)
