"""RNGStateHook: a resumed run continues exactly (docs/design.md,
'Reliability principles').

MMEngine's checkpoints hold the weights, the optimizer, the schedulers, the
message hub and the seed, but not the state of the random number
generators. A run resumed from epoch ``k`` therefore re-seeds nothing and
draws different dropout / drop-path masks, token masks and (with
``num_workers=0``) different augmentations than the uninterrupted run, and
ends with different weights. This hook:

* stores the torch (CPU and every CUDA device), numpy and python ``random``
  states in ``checkpoint['rng_state']`` (``before_save_checkpoint``), as
  tensors and ints so the checkpoint still loads with ``weights_only=True``;
* restores them when the run resumes. The restore is deferred from
  ``after_load_checkpoint`` to ``before_train`` (lowest priority): MMEngine
  re-seeds after loading when the checkpoint's seed differs from the config's,
  and nothing between that point and the first training batch may draw;
* makes validation RNG-neutral: the states are saved in ``before_val`` and
  put back in ``after_val``. The uninterrupted run validates after saving the
  epoch-``k`` checkpoint and the resumed run does not, and every DataLoader
  iteration draws a seed from torch's generator; without this the two runs
  would part at epoch ``k + 1``. (A checkpoint written *during* validation —
  ``save_best`` — stores the state from before validation.)

Choices and limits (docs/reliability.md):

* DataLoader workers: MMEngine's ``worker_init_fn`` seeds each worker from
  ``seed + worker_id + num_workers * rank`` when the worker starts, i.e. at
  every epoch unless ``persistent_workers=True``. Non-persistent workers are
  therefore resume-exact; persistent workers keep advancing their streams
  across epochs, which a resumed run cannot reproduce.
* Distributed: the checkpoint (written by rank 0) holds rank 0's states and
  every rank restores them. That is exact with MMEngine's default
  ``diff_rank_seed=False`` (all ranks seeded and drawing alike); with
  ``diff_rank_seed=True`` the states are not restored (with a warning).
* Resuming from a mid-epoch iteration checkpoint restores the states, but the
  sampler restarts the epoch; MMEngine's ``IterBasedTrainLoop`` skips the
  consumed batches without reproducing their draws.
"""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook

from dfertools.registry import HOOKS

KEY = 'rng_state'


def get_rng_state() -> dict:
    """The torch/CUDA/numpy/python generator states as tensors and ints."""
    np_state = np.random.get_state()
    py_version, py_internal, py_gauss = random.getstate()
    state = dict(
        torch=torch.get_rng_state(),
        numpy=dict(name=str(np_state[0]),
                   keys=torch.from_numpy(np_state[1].astype(np.int64)),
                   pos=int(np_state[2]), has_gauss=int(np_state[3]),
                   cached_gaussian=float(np_state[4])),
        python=dict(version=int(py_version),
                    internal=torch.tensor(py_internal, dtype=torch.int64),
                    gauss_next=py_gauss))
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Inverse of :func:`get_rng_state`."""
    torch.set_rng_state(state['torch'].cpu())
    n = state['numpy']
    np.random.set_state((n['name'], n['keys'].numpy().astype(np.uint32),
                         n['pos'], n['has_gauss'], n['cached_gaussian']))
    p = state['python']
    random.setstate((p['version'], tuple(int(v) for v in p['internal']),
                     p['gauss_next']))
    cuda = state.get('cuda')
    if cuda and torch.cuda.is_available():
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda])
        else:  # a different machine: seed what we can, device by device
            for i, s in enumerate(cuda[:torch.cuda.device_count()]):
                torch.cuda.set_rng_state(s.cpu(), i)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the RNG states in checkpoints and restore them on resume."""
    priority = 'LOWEST'  # restore after every other before_train

    def __init__(self) -> None:
        self._pending: Optional[dict] = None
        self._before_val: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[KEY] = (self._before_val if self._before_val is not None
                           else get_rng_state())
        checkpoint[KEY]['world_size'] = get_world_size()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get(KEY)
        if state is None:
            return  # load_from a foreign checkpoint, or an older one
        randomness = getattr(runner, '_randomness_cfg', None) or {}
        if get_world_size() > 1 and randomness.get('diff_rank_seed'):
            runner.logger.warning(
                'RNGStateHook: randomness.diff_rank_seed=True, so the '
                "checkpoint's (rank 0) random states are not restored; the "
                'resumed run is not bit-exact.')
            return
        self._pending = state

    def before_train(self, runner) -> None:
        if self._pending is not None and runner._resume:
            set_rng_state(self._pending)
        self._pending = None

    def before_val(self, runner) -> None:
        self._before_val = get_rng_state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            set_rng_state(self._before_val)
        self._before_val = None
