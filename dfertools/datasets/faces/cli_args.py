"""Command-line options of the face cropper, shared by
``tools/data/extract_faces.py`` and ``tools/infer.py --detect-face``."""
import argparse
import ast


def parse_kv(text: str):
    if '=' not in text:
        raise argparse.ArgumentTypeError(
            f'--detector-arg {text!r}: expected KEY=VALUE')
    key, value = text.split('=', 1)
    try:
        value = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        pass  # a plain string, e.g. a path
    return key, value


def add_face_args(p: argparse.ArgumentParser) -> None:
    """Options shared with tools/infer.py --detect-face."""
    p.add_argument('--detector', default='HaarFaceDetector',
                   help='registered face detector (FACE_DETECTORS): '
                   'HaarFaceDetector (default, offline) or '
                   'YuNetFaceDetector (needs --detector-arg model_path=...)')
    p.add_argument('--detector-arg', type=parse_kv, action='append',
                   default=[], metavar='KEY=VALUE',
                   help='detector argument (Python literal or string)')
    p.add_argument('--margin', type=float, default=0.25,
                   help='context on each side, fraction of the face side')
    p.add_argument('--sigma', type=float, default=2.0,
                   help='temporal smoothing of the box in frames (0: off)')
    p.add_argument('--align', action='store_true',
                   help='level the eyes (needs a detector with landmarks)')
    p.add_argument('--detect-every', type=int, default=1,
                   help='detect on every k-th frame, interpolate between')
    p.add_argument('--min-face-frames', type=float, default=0.0,
                   help='fail a clip whose face is found in fewer than '
                   'this fraction of the frames searched (default 0: one '
                   'detection is enough)')


def cropper_cfg(args, size: int) -> dict:
    """``FaceCropper`` arguments from the parsed options; an unregistered
    ``--detector`` is an ``ArgumentTypeError`` with the closest names."""
    from dfertools.registry import FACE_DETECTORS, unregistered_message
    if FACE_DETECTORS.get(args.detector) is None:
        raise argparse.ArgumentTypeError(
            '--detector: ' + unregistered_message(FACE_DETECTORS,
                                                  args.detector))
    return dict(detector=dict(type=args.detector, **dict(args.detector_arg)),
                size=size, margin=args.margin, sigma=args.sigma,
                align=args.align, detect_every=args.detect_every,
                min_face_frames=args.min_face_frames)
