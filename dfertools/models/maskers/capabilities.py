"""Build-time checks of a masker's declared capabilities (docs/design.md,
'Masker capabilities').

The algorithms call these from their constructors, so a config that pairs
a masker with a loss or head it cannot serve fails when the model is built,
with the config keys to change, instead of at the first loss step (or, for
a policy that is never trained, not at all).
"""
from typing import Optional

from torch import nn


def masker_name(masker: nn.Module) -> str:
    return type(masker).__name__


def check_policy_pairing(masker: nn.Module, hrd_loss: Optional[nn.Module],
                         key: str = 'model') -> None:
    """``hrd_loss`` needs ``log_prob``; a policy masker needs ``hrd_loss``.

    * ``{key}.hrd_loss`` set, masker with ``provides_log_prob = False``:
      the policy loss has nothing to act on.
    * masker with ``needs_policy_loss = True`` (``HRDMasker``) and no
      ``{key}.hrd_loss``: its parameters get no gradient (the sampled
      indices carry none, the input is detached), so they stay at their
      initialisation, and DDP without ``find_unused_parameters`` refuses
      the step. HI2M's lambda = 0 ablation (Table 4) is
      ``HRDPolicyLoss(loss_weight=0.)``, the paper's "random region
      masking" is ``RandomMasker``.
    """
    name = masker_name(masker)
    if hrd_loss is not None and not getattr(masker, 'provides_log_prob',
                                            False):
        raise ValueError(
            f'{key}.hrd_loss ({type(hrd_loss).__name__}) needs a masker that '
            f"returns log_prob, but {key}.masker.type='{name}' does not "
            f"(provides_log_prob=False); use {key}.masker.type='HRDMasker' "
            f'or set {key}.hrd_loss=None')
    if hrd_loss is None and getattr(masker, 'needs_policy_loss', False):
        raise ValueError(
            f"{key}.masker.type='{name}' learns its policy only through "
            f'{key}.hrd_loss, which is None, so the policy would never be '
            f"trained; set {key}.hrd_loss=dict(type='HRDPolicyLoss') "
            "(loss_weight=0. for HI2M's lambda = 0 ablation) or use "
            f"{key}.masker.type='RandomMasker'")


def require(masker: nn.Module, capability: str, key: str, why: str) -> None:
    """``ValueError`` naming ``{key}.type`` unless ``masker.<capability>``
    is true."""
    if not getattr(masker, capability, False):
        raise ValueError(
            f"{key}.type='{masker_name(masker)}' does not declare "
            f'{capability}=True, which {why}')
