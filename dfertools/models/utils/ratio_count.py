"""Token counts from ratios, robust to floating-point error (docs/design.md,
'Masking ratio rounding').

``int(rho * n)`` is the VideoMAE rule for the number of masked tokens, but
the product is computed in binary floating point: ``0.7 * 90`` is
``62.99999999999999``, so ``int`` gives 62 masked and 28 visible tokens
instead of 63 and 27. :func:`ratio_floor` is ``floor(rho * n)`` with a
product within ``1e-9`` of an integer taken as that integer, i.e. the floor
of the exact decimal product for every ratio a config can write. Every
count or index derived from a fractional product in the maskers goes
through it.
"""
import math

TOLERANCE = 1e-9


def floor_near(x: float, tol: float = TOLERANCE) -> int:
    """``floor(x)``, or the nearest integer when ``x`` is within ``tol`` of
    it."""
    nearest = round(x)
    if abs(x - nearest) <= tol:
        return int(nearest)
    return math.floor(x)


def ratio_floor(ratio: float, n: int, tol: float = TOLERANCE) -> int:
    """``floor(ratio * n)`` robust to float error (``0.7 * 90`` -> 63)."""
    return floor_near(float(ratio) * int(n), tol)
