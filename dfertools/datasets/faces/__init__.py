"""Face preprocessing: detectors, tracking/smoothing, crops, extraction."""
from .crop import crop_face, crop_matrix  # noqa: F401
from .cropper import FaceCropper, NoFaceError  # noqa: F401
from .detectors import (BaseFaceDetector, FaceDetection,  # noqa: F401
                        HaarFaceDetector, YuNetFaceDetector, build_detector)
from .tracking import (FaceTrack, fill_and_smooth, gaussian_smooth,  # noqa
                       select_track)
