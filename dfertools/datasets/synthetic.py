"""SynthDFER: procedurally drawn face videos with expression dynamics.

NOT a real dataset (docs/design.md, 'SynthDFER'). It exists so that the quick
start, the tests
and the benchmarks run anywhere without downloading DFEW: a cartoon face is
drawn with OpenCV (face ellipse, hair, eyes with irises, brows, nose, lips)
and its expression unfolds over time. Each frame is a function of

* the **identity** (face shape, feature placement and size, skin tone, hair);
* the **expression track**: a class prototype over seven facial "action"
  parameters (:data:`ACTIONS`: mouth-corner raise, mouth opening, brow
  raise, brow tilt/knit, eye opening, asymmetric sneer, lip stretch) that
  is jittered per clip, scaled by a random intensity and switched on with a
  smooth ramp at a random onset (sometimes relaxing again). Classes overlap
  on purpose (Fear/Surprise, Angry/Disgust, Sad/Neutral at low intensity);
  Neutral only moves a little;
* **nuisances**: head translation, drift, rotation and scale; talking-like
  mouth motion; lighting gain, gradient and flicker; background colour and
  clutter; partial occlusion; pixel noise.

The class mix follows DFEW's imbalance (Disgust ~1.5 %). The unlabeled
pool is drawn like VoxCeleb2 is filmed: other people than the labeled
set, natural expressions from the same dynamics (class mix, intensities,
onsets; the label is drawn and withheld), mixed with talking and head
motion (:mod:`dfertools.datasets.synthetic_writer`). Everything is drawn from a ``numpy`` generator seeded
by ``(seed, kind, index)``, so a seed fixes every frame regardless of the
number of worker processes. :mod:`dfertools.datasets.synthetic_writer`
assembles clips, folds and annotation files; ``Difficulty`` holds the knobs
tuned so that a small 3D CNN learns the task well above chance and well
below 100 % (docs/data_preparation.md, SynthDFER).
"""
import dataclasses
import math
from typing import Dict, List, Optional

import cv2
import numpy as np

from .classes import DFEW_CLASSES

CLASSES = DFEW_CLASSES
# DFEW-like class frequencies (Happy, Sad, Neutral, Angry, Surprise,
# Disgust, Fear).
CLASS_WEIGHTS = (0.24, 0.18, 0.22, 0.18, 0.10, 0.015, 0.065)

ACTIONS = ('corner', 'open', 'brow_raise', 'brow_tilt', 'eye', 'sneer',
           'stretch')
# Class prototypes at full intensity, one row per class (order of CLASSES),
# columns in the order of ACTIONS.
PROTOTYPES = np.array([
    # corner open  raise  tilt   eye    sneer  stretch
    [1.00, 0.25, 0.10, 0.00, -0.25, 0.00, 0.30],   # Happy
    [-0.80, 0.00, 0.10, 0.90, -0.20, 0.00, -0.10],  # Sad
    [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],   # Neutral
    [-0.40, 0.05, -0.80, -0.90, -0.15, 0.10, -0.30],  # Angry
    [0.00, 0.90, 1.00, 0.10, 0.50, 0.00, -0.20],   # Surprise
    [-0.40, 0.20, -0.50, -0.40, -0.35, 1.00, 0.00],  # Disgust
    [-0.30, 0.50, 0.70, 0.80, 0.45, 0.00, 0.60],   # Fear
], dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class Difficulty:
    """Knobs of the task's difficulty (defaults tuned, see module doc)."""
    intensity: tuple = (0.7, 1.0)     # expression strength range
    proto_jitter: float = 0.1          # per-clip std on each action
    neutral_motion: float = 0.1        # random motion of Neutral/talking
    talk_prob: float = 0.15            # labeled clips that also talk
    onset: tuple = (0.0, 0.3)          # onset, fraction of the clip
    rise: tuple = (0.1, 0.3)           # ramp length, fraction of the clip
    relax_prob: float = 0.1            # expression fades before the end
    max_rotation: float = 8.0          # degrees
    max_shift: float = 0.04            # fraction of the frame size
    occlusion_prob: float = 0.15
    noise_std: tuple = (2.0, 6.0)      # pixel noise (0-255 scale)
    clutter: tuple = (1, 5)            # background shapes per clip


@dataclasses.dataclass(frozen=True)
class Identity:
    """Face shape and colours of one synthetic person."""
    face_w: float
    face_h: float
    eye_dx: float
    eye_y: float
    eye_w: float
    eye_h: float
    brow_y: float
    brow_len: float
    brow_thick: int
    nose_len: float
    mouth_y: float
    mouth_w: float
    skin: tuple
    hair: tuple
    iris: tuple
    hair_style: int


def sample_identity(rng: np.random.Generator) -> Identity:
    """Draw a face (all lengths relative to a unit frame size)."""
    tone = rng.uniform(0.0, 1.0)   # light -> dark skin
    light = np.array([200, 215, 245.0])   # BGR
    dark = np.array([45, 70, 110.0])
    skin = light * (1 - tone) + dark * tone + rng.normal(0, 8, 3)
    return Identity(
        face_w=rng.uniform(0.24, 0.31), face_h=rng.uniform(0.32, 0.39),
        eye_dx=rng.uniform(0.09, 0.13), eye_y=rng.uniform(-0.08, -0.04),
        eye_w=rng.uniform(0.045, 0.065), eye_h=rng.uniform(0.022, 0.034),
        brow_y=rng.uniform(0.05, 0.075), brow_len=rng.uniform(0.07, 0.10),
        brow_thick=int(rng.integers(2, 4)), nose_len=rng.uniform(0.08, 0.13),
        mouth_y=rng.uniform(0.15, 0.21), mouth_w=rng.uniform(0.07, 0.11),
        skin=tuple(float(c) for c in np.clip(skin, 0, 255)),
        hair=tuple(float(c) for c in rng.uniform(10, 120, 3)),
        iris=tuple(float(c) for c in rng.uniform(20, 120, 3)),
        hair_style=int(rng.integers(0, 3)))


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def expression_track(rng: np.random.Generator, label: Optional[int],
                     num_frames: int, diff: Difficulty,
                     talk: Optional[bool] = None) -> np.ndarray:
    """Per-frame action values ``[num_frames, len(ACTIONS)]``.

    ``label=None`` gives a face without systematic expression. ``talk``
    adds speech-like mouth motion: ``None`` draws it (always for
    ``label=None``, with ``diff.talk_prob`` otherwise).
    """
    t = np.arange(num_frames, dtype=np.float64)
    track = np.zeros((num_frames, len(ACTIONS)))
    if label is not None and label != CLASSES.index('Neutral'):
        proto = PROTOTYPES[label] + rng.normal(0, diff.proto_jitter,
                                               len(ACTIONS))
        onset = rng.uniform(*diff.onset) * num_frames
        rise = max(rng.uniform(*diff.rise) * num_frames, 1.0)
        ramp = _smoothstep((t - onset) / rise)
        if rng.random() < diff.relax_prob:
            end = rng.uniform(onset + rise, num_frames + rise)
            ramp = ramp * (1 - 0.6 * _smoothstep((t - end) / rise))
        track += rng.uniform(*diff.intensity) * ramp[:, None] * proto
    # small random motion of every action (what Neutral shows)
    for k in range(len(ACTIONS)):
        freq = rng.uniform(0.02, 0.12)
        track[:, k] += diff.neutral_motion * rng.uniform(0.2, 1.0) * np.sin(
            2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
    if talk is None:
        talk = label is None or rng.random() < diff.talk_prob
    if talk:
        track[:, ACTIONS.index('open')] += talking_motion(rng, num_frames)
    return track


def talking_motion(rng: np.random.Generator, num_frames: int) -> np.ndarray:
    """Speech-like mouth opening: syllable rate 3–6 Hz at 25 fps, >= 0."""
    t = np.arange(num_frames) / 25.0
    rate = rng.uniform(3.0, 6.0)
    wave = np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi))
    wave += 0.5 * np.sin(2 * np.pi * rate * 1.7 * t + rng.uniform(0, 6.3))
    return rng.uniform(0.2, 0.6) * np.clip(wave, 0, None)


def _background(rng: np.random.Generator, size: int,
                diff: Difficulty) -> np.ndarray:
    bg = np.empty((size, size, 3), np.uint8)
    bg[:] = rng.integers(30, 230, 3)
    for _ in range(int(rng.integers(diff.clutter[0], diff.clutter[1] + 1))):
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        p = rng.integers(0, size, 4)
        kind = rng.integers(0, 3)
        if kind == 0:
            cv2.rectangle(bg, (int(p[0]), int(p[1])), (int(p[2]), int(p[3])),
                          color, -1)
        elif kind == 1:
            cv2.circle(bg, (int(p[0]), int(p[1])),
                       int(rng.integers(3, size // 4)), color, -1)
        else:
            cv2.line(bg, (int(p[0]), int(p[1])), (int(p[2]), int(p[3])),
                     color, int(rng.integers(1, 4)))
    return bg


def _bezier(p0, c, p1, n: int = 9) -> np.ndarray:
    s = np.linspace(0, 1, n)[:, None]
    return (1 - s) ** 2 * p0 + 2 * (1 - s) * s * c + s ** 2 * p1


def _draw_face(img: np.ndarray, ident: Identity, a: Dict[str, float],
               pose: tuple) -> None:
    """Draw one face onto ``img`` (in place). ``pose=(cx, cy, angle, s)``."""
    cx, cy, angle, scale = pose
    size = img.shape[0]
    unit = size * scale
    rad = math.radians(angle)
    rot = np.array([[math.cos(rad), -math.sin(rad)],
                    [math.sin(rad), math.cos(rad)]])

    def pts(xy) -> np.ndarray:  # face coords (unit frame) -> pixels
        xy = np.asarray(xy, np.float64).reshape(-1, 2) * unit
        return (xy @ rot.T + (cx, cy)).round().astype(np.int32)

    def ellipse(center, axes, color, thick=-1, extra=0.0):
        c = pts(center)[0]
        ax = (max(int(axes[0] * unit), 1), max(int(axes[1] * unit), 1))
        cv2.ellipse(img, (int(c[0]), int(c[1])), ax, angle + extra, 0, 360,
                    color, thick, cv2.LINE_AA)

    fw, fh = ident.face_w, ident.face_h
    if ident.hair_style > 0:
        ellipse((0, -0.08 * ident.hair_style), (fw * 1.08, fh * 0.85),
                ident.hair)
    ellipse((0, 0), (fw, fh), ident.skin)
    eye_h = ident.eye_h * max(0.15, 1 + 1.5 * a['eye'])
    brow_offset = ident.brow_y + 0.045 * a['brow_raise']
    for side in (-1, 1):
        ex = side * ident.eye_dx
        ellipse((ex, ident.eye_y), (ident.eye_w, eye_h), (245, 245, 245))
        ellipse((ex, ident.eye_y), (ident.eye_h * 0.8,
                                    min(ident.eye_h * 0.8, eye_h)),
                ident.iris)
        inner = (ex - side * ident.brow_len * 0.5,
                 ident.eye_y - brow_offset - 0.04 * a['brow_tilt'])
        outer = (ex + side * ident.brow_len * 0.5,
                 ident.eye_y - brow_offset + 0.015 * a['brow_tilt'])
        if a['brow_tilt'] < 0:   # knit: inner ends move together
            inner = (inner[0] - side * 0.012 * a['brow_tilt'], inner[1])
        cv2.polylines(img, [pts([inner, outer])], False, ident.hair,
                      ident.brow_thick + 1, cv2.LINE_AA)
    nose = [(0, ident.eye_y + 0.02), (0.012, ident.eye_y + ident.nose_len),
            (-0.015, ident.eye_y + ident.nose_len + 0.01)]
    shade = tuple(c * 0.7 for c in ident.skin)
    cv2.polylines(img, [pts(nose)], False, shade, 2, cv2.LINE_AA)
    if a['sneer'] > 0.3:   # nose wrinkles
        for k in (-1, 1):
            y = ident.eye_y + ident.nose_len * 0.55
            cv2.polylines(img, [pts([(k * 0.02, y), (k * 0.045, y - 0.01)])],
                          False, shade, 1, cv2.LINE_AA)
    half_w = ident.mouth_w * (1 + 0.3 * a['stretch'])
    my = ident.mouth_y
    lift = 0.055 * a['corner']
    left = np.array([-half_w, my - lift - 0.035 * a['sneer']])
    right = np.array([half_w, my - lift + 0.015 * a['sneer']])
    top = np.array([0.0, my - 0.4 * lift - 0.015 * a['sneer']])
    opening = 0.12 * max(a['open'], 0.0)
    upper = _bezier(left, top + (0, lift * 0.6), right)
    lower = _bezier(right, top + (0, lift * 0.6 + opening), left)
    lip = (60, 60, 170)
    if opening > 0.01:
        cv2.fillPoly(img, [pts(np.vstack([upper, lower]))], (40, 20, 60),
                     cv2.LINE_AA)
    cv2.polylines(img, [pts(upper), pts(lower)], False, lip, 2, cv2.LINE_AA)


def _triangular_noise(rng: np.random.Generator, shape) -> np.ndarray:
    """Zero-mean, unit-variance noise (sum of two uniform bytes): ~8x
    cheaper than ``standard_normal`` and close enough to Gaussian."""
    n = int(np.prod(shape))
    a = np.frombuffer(rng.bytes(n), np.uint8).astype(np.float32)
    a += np.frombuffer(rng.bytes(n), np.uint8)
    a *= math.sqrt(6.0) / 255.0
    a -= math.sqrt(6.0)
    return a.reshape(shape)


def render_clip(rng: np.random.Generator, ident: Identity,
                label: Optional[int], num_frames: int, size: int,
                diff: Difficulty = Difficulty(),
                talk: Optional[bool] = None) -> List[np.ndarray]:
    """Render ``num_frames`` BGR uint8 frames of ``size``×``size``
    (``label`` and ``talk`` as in :func:`expression_track`)."""
    track = expression_track(rng, label, num_frames, diff, talk)
    bg = _background(rng, size, diff)
    t = np.arange(num_frames, dtype=np.float64)
    # head motion: offset + linear drift + wobble
    shift = rng.uniform(-diff.max_shift, diff.max_shift, 2) * size
    drift = rng.normal(0, 0.002, 2) * size
    wob_f, wob_p = rng.uniform(0.02, 0.1), rng.uniform(0, 2 * np.pi)
    rot0 = rng.uniform(-diff.max_rotation, diff.max_rotation)
    rot_amp = rng.uniform(0, diff.max_rotation / 3)
    scale = rng.uniform(0.9, 1.15)
    gain = rng.uniform(0.6, 1.3)
    grad_dir = rng.uniform(0, 2 * np.pi)
    grad_amp = rng.uniform(0, 60)
    flicker = rng.uniform(0, 0.08)
    noise_std = rng.uniform(*diff.noise_std)
    yy, xx = np.mgrid[0:size, 0:size] / size - 0.5
    gradient = (grad_amp * (np.cos(grad_dir) * xx + np.sin(grad_dir) * yy)
                )[..., None].astype(np.float32)
    occluder = None
    if rng.random() < diff.occlusion_prob:
        w, h = rng.uniform(0.15, 0.35, 2) * size
        occluder = (rng.uniform(0.3, 0.7, 2) * size, (w, h),
                    tuple(int(c) for c in rng.integers(0, 256, 3)),
                    rng.normal(0, 0.01, 2) * size)
    frames = []
    for i in range(num_frames):
        img = bg.copy()
        wob = math.sin(2 * math.pi * wob_f * i + wob_p)
        cx, cy = size / 2 + shift + drift * i + 0.01 * size * wob
        pose = (cx, cy, rot0 + rot_amp * wob, scale)
        _draw_face(img, ident, dict(zip(ACTIONS, track[i])), pose)
        if occluder is not None:
            (ox, oy), (w, h), color, vel = occluder
            ox, oy = ox + vel[0] * i, oy + vel[1] * i
            cv2.rectangle(img, (int(ox - w / 2), int(oy - h / 2)),
                          (int(ox + w / 2), int(oy + h / 2)), color, -1)
        frames.append(img)
    clip = np.stack(frames).astype(np.float32)
    light = gain * (1 + flicker * np.sin(1.3 * t)).astype(np.float32)
    clip *= light[:, None, None, None]
    clip += gradient
    clip += noise_std * _triangular_noise(rng, clip.shape)
    np.clip(clip, 0, 255, out=clip)
    frames = list(clip.astype(np.uint8))
    return frames
