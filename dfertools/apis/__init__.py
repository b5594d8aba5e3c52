"""dfertools.apis."""
from .inference import inference_recognizer, init_recognizer  # noqa: F401
