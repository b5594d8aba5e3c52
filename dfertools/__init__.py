"""dfertools: dynamic facial expression recognition on MMEngine/MMAction2."""
try:
    import torch  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the machine
    raise ImportError(
        'dfertools needs PyTorch, which is not installed. Install the build '
        'that matches your machine first (CPU: `pip install torch==2.13.0`; '
        'GPU: the CUDA build for your driver), then `pip install -e .`. '
        'See docs/getting_started.md.') from e

from .utils import compat  # noqa: F401,E402  (must run before mmaction)
from .version import __version__  # noqa: E402

__all__ = ['__version__']
