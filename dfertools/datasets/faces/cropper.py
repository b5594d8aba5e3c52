"""Detect → track → smooth → crop for one clip held in memory.

:class:`FaceCropper` is the single implementation behind the extraction
tool (``tools/data/extract_faces.py``), the ``FaceCrop`` pipeline transform
and ``tools/infer.py --detect-face``, so all three crop a clip the same
way. A clip without any face raises :class:`NoFaceError`.
"""
from typing import Iterable, List, Sequence, Tuple

import numpy as np

from .crop import crop_face
from .detectors import FaceDetection, build_detector
from .tracking import FaceTrack, fill_and_smooth, select_track


class NoFaceError(ValueError):
    """No frame of the clip has a face."""


class FaceCropper:
    """Crop one face track out of a clip.

    Args:
        detector: detector config dict (``FACE_DETECTORS``), a built
            detector, or ``None`` for the Haar cascade.
        size: side of the square output crops in pixels.
        margin: context added on each side, as a fraction of the face side
            (``0.25``: the crop is 1.5× the face box).
        sigma: temporal Gaussian smoothing of the box, in frames (0: off).
        align: rotate so that the eyes are level (needs landmarks).
        detect_every: run the detector on every k-th frame only (the frames
            in between are interpolated like missed detections).
        link_dist, max_gap: track linking (see ``tracking.select_track``).
        min_face_frames: fraction of the frames searched that must hold a
            face of the kept track, else :class:`NoFaceError` (0: one
            detection is enough).
    """

    def __init__(self, detector=None, size: int = 224, margin: float = 0.25,
                 sigma: float = 2.0, align: bool = False,
                 detect_every: int = 1, link_dist: float = 0.5,
                 max_gap: int = 10, min_face_frames: float = 0.0) -> None:
        if (size < 1 or margin < 0 or sigma < 0 or detect_every < 1
                or not 0 <= min_face_frames <= 1):
            raise ValueError('FaceCropper needs size >= 1, margin >= 0, '
                             'sigma >= 0, detect_every >= 1 and '
                             '0 <= min_face_frames <= 1')
        self.detector = build_detector(detector)
        if align and not self.detector.gives_landmarks:
            raise ValueError(
                f'align=True needs eye landmarks, which '
                f'{type(self.detector).__name__} does not give; use '
                'YuNetFaceDetector (or a detector that sets '
                'gives_landmarks) or drop the alignment.')
        self.size = size
        self.margin = margin
        self.sigma = sigma
        self.align = align
        self.detect_every = detect_every
        self.link_dist = link_dist
        self.max_gap = max_gap
        self.min_face_frames = min_face_frames

    def detect_all(self, frames: Iterable[np.ndarray]
                   ) -> List[List[FaceDetection]]:
        """Detections of every frame (``[]`` on frames skipped by
        ``detect_every``); ``frames`` may be a generator."""
        return [self.detector(f) if t % self.detect_every == 0 else []
                for t, f in enumerate(frames)]

    def track_detections(self, dets: Sequence[List[FaceDetection]],
                         name: str = '<clip>') -> FaceTrack:
        """The smoothed face track from :meth:`detect_all`'s output."""
        if len(dets) == 0:
            raise NoFaceError(f'{name}: no frames')
        chosen = select_track(dets, link_dist=self.link_dist,
                              max_gap=self.max_gap * self.detect_every)
        if chosen is None:
            raise NoFaceError(f'{name}: no face found in any of its '
                              f'{len(dets)} frames')
        found = sum(d is not None for d in chosen)
        searched = len(range(0, len(dets), self.detect_every))
        if found < self.min_face_frames * searched:
            raise NoFaceError(
                f'{name}: a face in only {found} of the {searched} frames '
                f'searched (< min_face_frames={self.min_face_frames})')
        return fill_and_smooth(chosen, self.sigma, self.align)

    def track(self, frames: Sequence[np.ndarray], name: str = '<clip>'
              ) -> FaceTrack:
        """The smoothed face track of ``frames`` (RGB ``uint8``)."""
        return self.track_detections(self.detect_all(frames), name)

    def crop_frame(self, frame: np.ndarray, track: FaceTrack, t: int
                   ) -> np.ndarray:
        """The crop of ``frame``, frame ``t`` of ``track``."""
        return crop_face(frame, track.centers[t], track.sides[t], self.size,
                         self.margin,
                         0.0 if track.angles is None else track.angles[t])

    def __call__(self, frames: Sequence[np.ndarray], name: str = '<clip>'
                 ) -> Tuple[List[np.ndarray], FaceTrack]:
        """``(crops, track)``: one ``size × size`` crop per frame."""
        track = self.track(frames, name)
        return [self.crop_frame(f, track, t)
                for t, f in enumerate(frames)], track
