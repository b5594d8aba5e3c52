"""One face track per clip: link detections over frames, keep the best
track, fill the frames without a detection and smooth the box over time.

* **Linking.** Detections of consecutive frames join a track when the
  centre moved less than ``link_dist`` × the face side and the side changed
  by less than a factor ``max_scale_change``; a track may skip up to
  ``max_gap`` frames (a missed detection, a hand in front of the face).
* **Choice.** The kept track is the one with the largest sum of face sides
  over its frames: the face that is both large and present longest. Other
  people and one-frame false positives are dropped.
* **Frames without a face** (of the kept track) get a box interpolated
  linearly between the detections before and after; before the first and
  after the last detection the nearest detection's box is carried. A clip
  in which no frame has a face has no track (:func:`select_track` returns
  ``None``; the extraction driver lists it as a failure).
* **Smoothing.** Centre, side and (with landmarks) the eye-line angle are
  smoothed with a Gaussian of ``sigma`` frames (edges padded by odd
  reflection, which keeps a steady motion unbiased at the clip's ends),
  so the crop does not jitter with the detector's noise.
"""
import dataclasses
import math
from typing import List, Optional, Sequence

import numpy as np

from .detectors import FaceDetection


@dataclasses.dataclass
class FaceTrack:
    """Per-frame crop geometry of one face, ``T`` frames.

    ``centers`` [T, 2] (x, y), ``sides`` [T] (face box side, pixels),
    ``angles`` [T] eye-line angle in degrees or ``None`` (no landmarks),
    ``detected`` [T] bool (a detection of this track in that frame),
    ``raw_centers``/``raw_sides``: the same before smoothing."""
    centers: np.ndarray
    sides: np.ndarray
    angles: Optional[np.ndarray]
    detected: np.ndarray
    raw_centers: np.ndarray
    raw_sides: np.ndarray

    def stats(self) -> dict:
        """Summary for manifests: detection count, box size and jitter
        before and after smoothing. Jitter is the mean norm of the centre's
        second difference ``c[t+1] - 2 c[t] + c[t-1]`` over the mean side:
        0 for a still or steadily moving face, large when the box shakes."""
        def jitter(c, s):
            if len(c) < 3:
                return 0.0
            return float(np.linalg.norm(np.diff(c, 2, axis=0), axis=1).mean()
                         / max(float(s.mean()), 1e-6))
        return dict(
            frames=int(len(self.sides)),
            face_frames=int(self.detected.sum()),
            side_mean=round(float(self.sides.mean()), 2),
            side_min=round(float(self.sides.min()), 2),
            side_max=round(float(self.sides.max()), 2),
            center_x_mean=round(float(self.centers[:, 0].mean()), 2),
            center_y_mean=round(float(self.centers[:, 1].mean()), 2),
            jitter_raw=round(jitter(self.raw_centers, self.raw_sides), 5),
            jitter=round(jitter(self.centers, self.sides), 5))


def _center_side(det: FaceDetection):
    x, y, w, h = det.box
    return x + w / 2.0, y + h / 2.0, float(max(w, h))


def eye_angle(det: FaceDetection) -> float:
    """Angle of the eye line in degrees (positive: the right-hand eye in
    the image is lower)."""
    (lx, ly), (rx, ry) = det.eyes
    return math.degrees(math.atan2(ry - ly, rx - lx))


def select_track(detections: Sequence[List[FaceDetection]],
                 link_dist: float = 0.5, max_scale_change: float = 1.5,
                 max_gap: int = 10) -> Optional[List[Optional[FaceDetection]]]:
    """Per frame, the detection of the best track (``None`` where it has
    none); ``None`` if no frame has a face."""
    tracks = []  # dict(items={t: det}, last_t, cx, cy, side)
    for t, dets in enumerate(detections):
        taken = set()
        for det in sorted(dets, key=lambda d: -d.box[2] * d.box[3]):
            cx, cy, side = _center_side(det)
            best, best_d = None, None
            for i, tr in enumerate(tracks):
                if i in taken or t - tr['last_t'] > max_gap + 1:
                    continue
                ratio = side / tr['side']
                d = math.hypot(cx - tr['cx'], cy - tr['cy']) / max(
                    side, tr['side'])
                if (d < link_dist and 1 / max_scale_change <= ratio
                        <= max_scale_change and (best_d is None
                                                 or d < best_d)):
                    best, best_d = i, d
            if best is None:
                tracks.append(dict(items={}))
                best = len(tracks) - 1
            taken.add(best)
            tracks[best]['items'][t] = det
            tracks[best].update(last_t=t, cx=cx, cy=cy, side=side)
    if not tracks:
        return None
    chosen = max(tracks, key=lambda tr: sum(
        _center_side(d)[2] for d in tr['items'].values()))
    return [chosen['items'].get(t) for t in range(len(detections))]


def gaussian_smooth(values: np.ndarray, sigma: float) -> np.ndarray:
    """Smooth ``values`` [T, ...] along time with a Gaussian of ``sigma``
    frames, edges padded by odd reflection (``sigma <= 0``: copy)."""
    values = np.asarray(values, dtype=np.float64)
    if sigma <= 0 or len(values) < 2:
        return values.copy()
    radius = min(max(1, int(math.ceil(3 * sigma))), len(values) - 1)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    pad = [(radius, radius)] + [(0, 0)] * (values.ndim - 1)
    # odd reflection (2 x[0] - x[k]) keeps a linear trend at the ends, so a
    # moving face is not pulled back towards where it was at the edges
    padded = np.pad(values, pad, mode='reflect', reflect_type='odd')
    flat = padded.reshape(len(padded), -1)
    out = np.stack([np.convolve(flat[:, j], k, mode='valid')
                    for j in range(flat.shape[1])], axis=1)
    return out.reshape(values.shape)


def fill_and_smooth(track: Sequence[Optional[FaceDetection]],
                    sigma: float = 2.0, align: bool = False) -> FaceTrack:
    """A :class:`FaceTrack` from :func:`select_track`'s output: gaps
    interpolated (ends carried), then Gaussian-smoothed. ``align`` needs
    eye landmarks on every detection of the track."""
    t_all = np.arange(len(track))
    known = [t for t, d in enumerate(track) if d is not None]
    if not known:
        raise ValueError('the track has no detection')
    geo = np.array([_center_side(track[t]) for t in known])
    raw = np.stack([np.interp(t_all, known, geo[:, j]) for j in range(3)],
                   axis=1)
    angles = None
    if align:
        if any(track[t].eyes is None for t in known):
            raise ValueError('eye alignment needs a detector that gives eye '
                             'landmarks (e.g. YuNetFaceDetector); the Haar '
                             'cascade gives boxes only.')
        angles = gaussian_smooth(np.interp(
            t_all, known, [eye_angle(track[t]) for t in known]), sigma)
    smooth = gaussian_smooth(raw, sigma)
    detected = np.zeros(len(track), dtype=bool)
    detected[known] = True
    return FaceTrack(centers=smooth[:, :2], sides=smooth[:, 2],
                     angles=angles, detected=detected,
                     raw_centers=raw[:, :2], raw_sides=raw[:, 2])
