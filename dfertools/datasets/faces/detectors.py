"""Face detectors: one frame in, a list of :class:`FaceDetection` out.

Detectors live in the ``FACE_DETECTORS`` registry (``dfertools.registry``)
and are built from a dict, ``dict(type='HaarFaceDetector', ...)``, like any
other dfertools component. Two ship with dfertools:

* :class:`HaarFaceDetector` (the default): OpenCV's frontal-face Haar
  cascade from ``cv2.data.haarcascades``. It is inside the ``opencv``
  wheel, so it works offline; it gives boxes but no landmarks and finds
  frontal faces only.
* :class:`YuNetFaceDetector`: OpenCV's ``cv2.FaceDetectorYN`` (YuNet, a
  small CNN). It also gives five landmarks (eyes, nose tip, mouth corners),
  which eye alignment needs. Its ONNX file is not part of OpenCV; the user
  downloads it (OpenCV Zoo, ``face_detection_yunet_2023mar.onnx``) and
  passes ``model_path``.

A third-party detector subclasses :class:`BaseFaceDetector`, implements
``detect`` and registers itself with ``@FACE_DETECTORS.register_module()``
(loaded through ``custom_imports`` or the ``dfertools.plugins`` entry point,
docs/plugins.md).

Frames are ``uint8`` RGB ``H×W×3``. Boxes are ``(x, y, w, h)`` in pixels of
the frame given; ``max_side`` downsizes large frames before detection (the
boxes are scaled back), which is what makes HD video affordable.
"""
import dataclasses
import os.path as osp
from typing import List, Optional, Tuple

import cv2
import numpy as np

from dfertools.registry import FACE_DETECTORS


@dataclasses.dataclass
class FaceDetection:
    """One face: ``box`` ``(x, y, w, h)``, a ``score`` (higher = surer;
    detector-specific scale) and optionally ``eyes``
    ``((x_left, y_left), (x_right, y_right))`` in image coordinates, the
    left eye being the one on the left of the image."""
    box: Tuple[float, float, float, float]
    score: float = 1.0
    eyes: Optional[Tuple[Tuple[float, float], Tuple[float, float]]] = None


class BaseFaceDetector:
    """Base of every face detector.

    Args:
        max_side: frames whose longer side exceeds it are downsized to it
            before detection (``None``: never).
    """
    gives_landmarks = False

    def __init__(self, max_side: Optional[int] = 640) -> None:
        self.max_side = max_side

    def detect(self, frame: np.ndarray) -> List[FaceDetection]:
        """Faces of one RGB frame at the frame's own scale."""
        raise NotImplementedError

    def __call__(self, frame: np.ndarray) -> List[FaceDetection]:
        h, w = frame.shape[:2]
        scale = 1.0
        if self.max_side and max(h, w) > self.max_side:
            scale = self.max_side / max(h, w)
            frame = cv2.resize(frame, (max(1, round(w * scale)),
                                       max(1, round(h * scale))),
                               interpolation=cv2.INTER_AREA)
        faces = self.detect(frame)
        if scale == 1.0:
            return faces
        inv = 1.0 / scale
        return [FaceDetection(
            tuple(float(v) * inv for v in f.box), f.score,
            None if f.eyes is None else tuple(
                (x * inv, y * inv) for x, y in f.eyes)) for f in faces]


@FACE_DETECTORS.register_module()
class HaarFaceDetector(BaseFaceDetector):
    """OpenCV's Haar cascade (Viola-Jones); boxes only.

    Args:
        cascade: file name under ``cv2.data.haarcascades`` or a path.
        scale_factor, min_neighbors: ``detectMultiScale`` arguments; more
            neighbours = fewer false positives.
        min_size: smallest face side in pixels (of the detection frame).
        equalize: histogram-equalise the grey frame first (helps in low
            contrast).
    """

    def __init__(self, cascade: str = 'haarcascade_frontalface_default.xml',
                 scale_factor: float = 1.1, min_neighbors: int = 5,
                 min_size: int = 24, equalize: bool = True,
                 max_side: Optional[int] = 640) -> None:
        super().__init__(max_side)
        path = cascade if osp.isfile(cascade) else osp.join(
            cv2.data.haarcascades, cascade)
        self.classifier = cv2.CascadeClassifier(path)
        if self.classifier.empty():
            raise FileNotFoundError(
                f'Haar cascade {cascade!r} not found or unreadable (looked '
                f'at {path}); pass a file name from cv2.data.haarcascades '
                'or a path to a cascade XML.')
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = min_size
        self.equalize = equalize

    def detect(self, frame: np.ndarray) -> List[FaceDetection]:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if self.equalize:
            gray = cv2.equalizeHist(gray)
        boxes, _, weights = self.classifier.detectMultiScale3(
            gray, scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size), outputRejectLevels=True)
        return [FaceDetection(tuple(float(v) for v in b), float(s))
                for b, s in zip(np.asarray(boxes).reshape(-1, 4),
                                np.asarray(weights).reshape(-1))]


@FACE_DETECTORS.register_module()
class YuNetFaceDetector(BaseFaceDetector):
    """OpenCV's YuNet (``cv2.FaceDetectorYN``): boxes and five landmarks.

    Args:
        model_path: the YuNet ONNX file you downloaded (OpenCV Zoo,
            ``face_detection_yunet_2023mar.onnx``).
        score_threshold, nms_threshold, top_k: YuNet's own arguments.
    """
    gives_landmarks = True

    def __init__(self, model_path: Optional[str] = None,
                 score_threshold: float = 0.6, nms_threshold: float = 0.3,
                 top_k: int = 50, max_side: Optional[int] = 640) -> None:
        super().__init__(max_side)
        if not model_path or not osp.isfile(model_path):
            raise FileNotFoundError(
                f'YuNet model file {model_path!r} not found. Download '
                'face_detection_yunet_2023mar.onnx from the OpenCV Zoo '
                '(models/face_detection_yunet) and pass its path as '
                "model_path (--detector-arg model_path=...), or use the "
                'default HaarFaceDetector, which needs no download.')
        self.model_path = model_path
        self.net = cv2.FaceDetectorYN.create(model_path, '', (320, 320),
                                             score_threshold, nms_threshold,
                                             top_k)

    def detect(self, frame: np.ndarray) -> List[FaceDetection]:
        h, w = frame.shape[:2]
        self.net.setInputSize((w, h))
        _, faces = self.net.detect(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        out = []
        for f in (faces if faces is not None else []):
            # f: x, y, w, h, right eye (x, y), left eye, nose, mouth r, l,
            # score; "right eye" is the subject's, i.e. the image's left.
            eyes = ((float(f[4]), float(f[5])), (float(f[6]), float(f[7])))
            if eyes[0][0] > eyes[1][0]:
                eyes = eyes[::-1]
            out.append(FaceDetection(tuple(float(v) for v in f[:4]),
                                     float(f[14]), eyes))
        return out


def build_detector(cfg=None) -> BaseFaceDetector:
    """A detector from a config dict (``None``: the Haar default) or an
    already built detector."""
    if isinstance(cfg, BaseFaceDetector):
        return cfg
    cfg = dict(cfg or dict(type='HaarFaceDetector'))
    cfg.setdefault('type', 'HaarFaceDetector')
    return FACE_DETECTORS.build(cfg)
