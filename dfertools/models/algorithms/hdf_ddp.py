"""DDP wrapper that keeps HDFRecognizer's own training step.

MMEngine's ``MMDistributedDataParallel.train_step`` preprocesses, runs
``mode='loss'`` and calls ``optim_wrapper.update_params`` itself, which would
skip the grad-norm scaler's measurement and SAM's closure (docs/hdf.md). This
wrapper delegates to ``module.train_step(data, optim_wrapper, wrapper=self)``;
the recognizer then runs every forward through the DDP module, so gradients
are all-reduced as usual and g is the norm of the synchronised gradient.
(In the scaler's ``exact`` mode the extra ``torch.autograd.grad`` sees the
local, unsynchronised gradient.)
"""
from mmengine.model.wrappers import MMDistributedDataParallel

from dfertools.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class HDFDistributedDataParallel(MMDistributedDataParallel):
    """``model_wrapper_cfg=dict(type='HDFDistributedDataParallel')``."""

    def train_step(self, data, optim_wrapper):
        if not hasattr(self.module, 'loss_terms'):
            raise TypeError(
                'HDFDistributedDataParallel wraps models with a DSM train '
                f'step (HDFRecognizer); got {type(self.module).__name__}. '
                'Use MMDistributedDataParallel for other models.')
        return self.module.train_step(data, optim_wrapper, wrapper=self)
