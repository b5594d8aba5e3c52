"""One global switch between fused and explicit attention.

Every attention block in dfertools computes ``softmax(q k^T / sqrt(d)) v``
through :func:`~dfertools.models.layers.attention.attention_core`, which asks
:func:`use_fused_attn` at call time:

* fused (the default): ``torch.nn.functional.scaled_dot_product_attention``
  — flash / memory-efficient kernels on GPUs, one op on CPUs;
* explicit: the matrix products written out, for equation checks,
  benchmarks and debugging (attention weights can be inspected).

The switch is process-wide and read at every call, so it applies to models
already built — backbones, decoders and the HRD masker's policy block alike:

    from dfertools.models.layers.fused_attn import fused_attn
    with fused_attn(False):
        out = model(x)

or set ``DFERTOOLS_FUSED_ATTN=0`` in the environment before starting. The
two paths agree to float rounding
(``tests/models/layers/test_fused_attn.py`` checks this for every registered
model that attends).
"""
import contextlib
import os

_ENV = 'DFERTOOLS_FUSED_ATTN'


def _from_env() -> bool:
    value = os.environ.get(_ENV, '1').strip().lower()
    if value in ('1', 'true', 'yes', 'on', ''):
        return True
    if value in ('0', 'false', 'no', 'off'):
        return False
    raise ValueError(f'{_ENV}={value!r}: use 1 (fused attention, the '
                     'default) or 0 (explicit matrix products).')


_fused = _from_env()


def use_fused_attn() -> bool:
    """Whether attention runs through ``scaled_dot_product_attention``."""
    return _fused


def set_fused_attn(enable: bool) -> None:
    """Switch every attention block of the process (see the module doc)."""
    global _fused
    _fused = bool(enable)


@contextlib.contextmanager
def fused_attn(enable: bool):
    """Use (or not) fused attention inside the ``with`` block only."""
    previous = use_fused_attn()
    set_fused_attn(enable)
    try:
        yield
    finally:
        set_fused_attn(previous)
