"""A real face on the move: ``skimage.data.astronaut()`` animated into a
short clip (translation, scale, small rotation, frames with no face) with
the face centre known in every frame, for the face-preprocessing tests."""
import cv2
import numpy as np

# Face of the astronaut in the 512x512 original: centre (x, y) and side,
# measured once with the Haar cascade (box 177,66,95,95) and checked by eye.
FACE_CENTER = (224.5, 113.5)
FACE_SIDE = 95.0
# Eyes (x, y) of the original, read off the image (for the alignment test).
EYES = ((205.0, 102.0), (247.0, 100.0))


def astronaut():
    from skimage.data import astronaut as load
    return load()


def face_clip(num_frames=24, size=192, blank=(9, 10, 11), seed=0):
    """``(frames, centers, sides, angles, present)``: RGB frames
    ``size × size``; the face centre, side and rotation (degrees,
    counter-clockwise on screen) of each frame; ``present[t]`` is False for
    the frames in ``blank`` (the whole frame replaced by flat grey)."""
    img = astronaut()
    rng = np.random.default_rng(seed)
    frames, centers, sides, angles, present = [], [], [], [], []
    for t in range(num_frames):
        u = t / max(num_frames - 1, 1)
        scale = 0.36 + 0.1 * u                       # face 34 -> 44 px
        angle = 8.0 * np.sin(2 * np.pi * u)          # -8..8 degrees
        target = (70 + 50 * u, 80 + 25 * np.sin(np.pi * u))
        m = cv2.getRotationMatrix2D(FACE_CENTER, angle, scale)
        m[:, 2] += (target[0] - FACE_CENTER[0], target[1] - FACE_CENTER[1])
        frame = cv2.warpAffine(img, m, (size, size),
                               borderMode=cv2.BORDER_REFLECT)
        frame = np.clip(frame.astype(np.int16) +
                        rng.integers(-3, 4, frame.shape), 0, 255
                        ).astype(np.uint8)
        if t in blank:
            frame[:] = 128
        frames.append(frame)
        centers.append(target)
        sides.append(FACE_SIDE * scale)
        angles.append(angle)
        present.append(t not in blank)
    return (frames, np.array(centers), np.array(sides), np.array(angles),
            np.array(present))


def write_mp4(path, frames, fps=10):
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'),
                             fps, (w, h))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return str(path)


def faceless_clip(num_frames=8, size=96):
    """Smooth colour gradients that move: a video without any face."""
    yy, xx = np.mgrid[0:size, 0:size]
    return [np.stack([(xx * 2 + 8 * t) % 256, (yy * 2) % 256,
                      np.full_like(xx, 90)], -1).astype(np.uint8)
            for t in range(num_frames)]
