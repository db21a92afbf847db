"""Checking what users pass in, and the wording of the errors: one place for every module.

`check_number` turns an operand into a float or raises naming the operation; `short_repr` keeps a bad value
readable inside a message.
"""

import math
from numbers import Real

__all__ = ["check_number", "checked_pow", "short_repr"]


def check_number(x, where, expected="an int, float or Value"):
    """Return `x` as a float. Raises TypeError naming `where`, `expected` and the type unless `x` is a real
    number (bool excluded), and OverflowError naming `where` for an int too large for a float."""
    if type(x) is float:  # the common case first: a type test is cheaper than the Real ABC check
        return x
    if type(x) is int or (isinstance(x, Real) and not isinstance(x, bool)):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{where}: {short_repr(x)} is out of float range") from None
    raise TypeError(f"{where}: expected {expected}, got {type(x).__name__} {short_repr(x)}")


def short_repr(x, limit=60):
    """repr(x) cut to `limit` characters, for error messages (a huge int's repr can even raise)."""
    try:
        text = repr(x)
    except ValueError:  # an int past sys.get_int_max_str_digits()
        return f"<{type(x).__name__} too large to print>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def checked_pow(x, k):
    """x ** k for floats, with errors that name the op and the operands."""
    if x == 0.0 and k < 0.0:
        raise ZeroDivisionError(f"**: 0.0 cannot be raised to a negative power ({x!r} ** {k!r})")
    if x < 0.0 and math.isfinite(k) and k != int(k):
        raise ValueError(f"**: a negative base to a non-integer power has no real value ({x!r} ** {k!r})")
    try:
        return x ** k
    except OverflowError:
        raise OverflowError(f"**: result out of float range for {x!r} ** {k!r}") from None
