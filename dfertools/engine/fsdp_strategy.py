"""``DFERFSDPStrategy``: MMEngine's ``FSDPStrategy`` that also trains on CPU.

Sharded data parallel training (FSDP) is switched on in a config with
MMEngine's ``FlexibleRunner``::

    runner_type = 'FlexibleRunner'
    strategy = dict(type='dfertools.DFERFSDPStrategy')

(the scope prefix is needed: ``FlexibleRunner`` builds the strategy before
it sets the default scope). On CUDA this is MMEngine's ``FSDPStrategy``
(torch's ``FullyShardedDataParallel`` through
``MMFullyShardedDataParallel``, one GPU per process, ``device_id =
LOCAL_RANK``). On a machine without CUDA,
MMEngine's strategy cannot start: it passes ``device_id=int(LOCAL_RANK)``
and torch's FSDP turns an integer into an accelerator device (torch 2.13:
``RuntimeError: Cannot access accelerator device when none is
available.`` from ``torch/distributed/fsdp/_init_utils.py::
_init_device_handle``); without a ``device_id`` it looks for a non-CPU
parameter or the current accelerator and refuses (``FSDP needs a non-CPU
accelerator device, but no accelerator device is detected.``). Only an
explicit ``torch.device('cpu')`` passes that check — and a config cannot
hold one (configs import nothing) — so without CUDA this strategy gives
the wrapper ``device_id=torch.device('cpu')``; FSDP then shards and
all-gathers over gloo. One more CPU difference: MMEngine's ``'full'``
state dict gathers with ``offload_to_cpu=True``, and with parameters that
already live on the CPU torch 2.13's FSDP then segfaults (SIGSEGV in
``_full_post_state_dict_hook`` cloning the unsharded parameter while
saving the first checkpoint), so on CPU it gathers without offloading,
which is the same thing there. Resuming fails in MMEngine 0.10.7 on any
device (:meth:`DFERFSDPStrategy.load_optim_state_dict` says why); fixed
here. Everything else (wrapping, sharding, state-dict types, checkpoint
layout, the rest of resuming) is MMEngine's.
"""
import torch
from mmengine._strategy import FSDPStrategy

from dfertools.registry import STRATEGIES


@STRATEGIES.register_module()
class DFERFSDPStrategy(FSDPStrategy):
    """MMEngine's ``FSDPStrategy``; on CPU-only machines the FSDP wrapper
    gets ``device_id=torch.device('cpu')`` (see the module docstring).

    The wrapper gets ``use_orig_params=True`` unless the config's
    ``model_wrapper`` says otherwise: the optimizer is built after wrapping,
    and only with the original parameters do ``paramwise_cfg`` keys and the
    layer-decay constructor find the names they match.

    ``state_dict_cfg`` defaults to ``'full'`` (MMEngine's: ``'local'``):
    rank 0 writes one ordinary ``epoch_N.pth`` with the gathered weights
    and optimizer state, which ``--resume``, ``tools/test.py`` and
    ``load_from`` read like any other checkpoint. ``'local'`` writes a
    folder of per-rank shards instead (faster for very large models, but
    only a run with the same world size can read it)."""

    def __init__(self, *, state_dict_cfg='full', **kwargs):
        super().__init__(state_dict_cfg=state_dict_cfg, **kwargs)
        if state_dict_cfg == 'full' and not torch.cuda.is_available():
            # offload_to_cpu of parameters that already live on the CPU
            # segfaults in torch 2.13 (see the module docstring)
            from torch.distributed.fsdp import (FullOptimStateDictConfig,
                                                FullStateDictConfig)
            self.state_dict_config = FullStateDictConfig(
                rank0_only=True, offload_to_cpu=False)
            self.optim_state_dict_config = FullOptimStateDictConfig(
                rank0_only=True, offload_to_cpu=False)

    def load_optim_state_dict(self, state_dict: dict) -> None:
        """MMEngine 0.10.7 calls ``FSDP.optim_state_dict_to_load(state,
        model, optim)``, the argument order of torch < 2.1; torch >= 2.1
        takes ``(model, optim, optim_state_dict)`` and fails with
        ``TypeError: unhashable type: 'dict'`` on every resume. Keywords
        here."""
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        optim_state = FSDP.optim_state_dict_to_load(
            model=self.model, optim=self.optim_wrapper.optimizer,
            optim_state_dict=state_dict)
        self.optim_wrapper.load_state_dict(optim_state)

    def _wrap_model(self, model):
        wrapper = dict(self.model_wrapper or
                       dict(type='MMFullyShardedDataParallel'))
        # parameter names survive wrapping, so paramwise_cfg / layer decay
        # match them as under DDP
        wrapper.setdefault('use_orig_params', True)
        if not torch.cuda.is_available():
            wrapper.setdefault('device_id', torch.device('cpu'))
        self.model_wrapper = wrapper
        return super()._wrap_model(model)
