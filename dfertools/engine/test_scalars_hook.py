"""TestScalarsHook: test metrics reach the visualizer backends.

MMEngine's ``LoggerHook`` hands validation metrics to the visualizer
(``add_scalars``: ``scalars.json``, TensorBoard, ...) but only prints and
JSON-logs test metrics, so ``tools/test.py`` with a TensorBoard backend left
the event file without the numbers the run was for. This hook writes every
scalar test metric as ``test/<name>`` (``test/dfer/UAR``, ...) through
``runner.visualizer.add_scalars``. The step is the training iteration
stored in the tested checkpoint's ``meta`` (0 when it has none), so test
points line up with the training curves of the same run.
"""
import numbers
from typing import Dict, Optional

from mmengine.hooks import Hook

from dfertools.registry import HOOKS


@HOOKS.register_module()
class TestScalarsHook(Hook):
    """Write the scalar test metrics to the visualizer as ``prefix/name``."""

    priority = 'BELOW_NORMAL'

    def __init__(self, prefix: str = 'test') -> None:
        self.prefix = prefix
        self.step = 0

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta') or {}
        step = meta.get('iter')
        self.step = int(step) if isinstance(step, numbers.Integral) else 0

    def after_test_epoch(self, runner,
                         metrics: Optional[Dict[str, float]] = None) -> None:
        scalars = {
            f'{self.prefix}/{name}': float(value)
            for name, value in (metrics or {}).items()
            if isinstance(value, numbers.Real)
            or getattr(value, 'size', None) == 1}
        if scalars:
            runner.visualizer.add_scalars(scalars, step=self.step)
