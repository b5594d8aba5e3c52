"""dfertools.apis."""
from .inference import (build_test_pipeline, inference_recognizer,  # noqa
                        init_recognizer)
from .batch_inference import batch_inference  # noqa: F401
from .sliding_window import (sliding_window_inference,  # noqa: F401
                             write_timeline_csv)
