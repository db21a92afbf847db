"""Reading a claim of a hand derivation: its name (a label, ∂A/∂B, w+) and its written number, whose printed
digits set the tolerance (`agreement`). Used by `check` and the slip catalogue (`slips`).
"""

import math
import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation, localcontext
from fractions import Fraction

from ..checks import short_repr
from .naming import display_name

__all__ = ["agreement", "significant_digits", "Unreadable", "EXACT"]


EXACT = 1e-9  # a float claim means "exact": relative tolerance (absolute below 1)



# ---- the written numbers ------------------------------------------------------------------------------------
class Unreadable(ValueError):
    """A claim whose name or written number cannot be read: its verdict is "unreadable", with this reason."""

_COMMA = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")

_PREC = 2000  # Decimal digits for the truncation test: a claim may print more digits than the context's 28



def _parse_written(name, written):
    """(float, Decimal or None): the written number and its printed digits (None: exact, to 1e-9).

    A str's printed digits set the tolerance; a decimal comma ("0,5") and the Unicode minus are read as the
    notes write them; a str fraction like "1/2" and an int are exact; a float is read by its shortest repr
    (0.49001 has 5 significant digits), and never tighter than 1e-9 relative. Raises `Unreadable` (a
    ValueError) for text that is no number, a non-finite number, or one outside the float range (1e400,
    1e-400), and TypeError for a written value that is neither a str nor a number."""
    if isinstance(written, bool) or not isinstance(written, (str, int, float)):
        raise TypeError(f"check: claim {name!r}: the written number must be a str (as written) or a number, "
                        f"got {type(written).__name__} {short_repr(written)}")
    if isinstance(written, int):
        try:
            return float(written), None
        except OverflowError:
            raise Unreadable(f"check: claim {name!r}: the written number {short_repr(written)} is outside the "
                             f"float range") from None
    if isinstance(written, float):
        if not math.isfinite(written):
            raise Unreadable(f"check: claim {name!r}: the written number {written!r} is not finite")
        return written, Decimal(repr(written))
    text = written.strip().replace("\u2212", "-")
    if _COMMA.fullmatch(text):
        text = text.replace(",", ".")
    try:
        if "/" in text:
            return float(Fraction(text)), None
        dec = Decimal(text)
    except (InvalidOperation, ValueError, ZeroDivisionError, OverflowError):
        raise Unreadable(f"check: claim {name!r}: cannot read the written number {written!r} "
                         f"(write it as Python would, e.g. '0.35', '-1.5e-3', '1/2', or with a decimal "
                         f"comma '0,35')") from None
    if not dec.is_finite():
        raise Unreadable(f"check: claim {name!r}: the written number {written!r} is not finite")
    w = float(dec)
    if not math.isfinite(w) or (w == 0.0 and dec != 0):
        raise Unreadable(f"check: claim {name!r}: the written number {written!r} is outside the float range "
                         f"(about 1e-308 to 1e308 in size)")
    return w, dec



def agreement(written, value):
    """How `value` (a float) agrees with `written` (a str as printed, or a number: an int exact to 1e-9,
    a float to the digits of its shortest repr): ``"correct"`` (within half a unit of its last printed
    digit, or within 1e-9, relative above 1), ``"truncated"`` (not that, but `value` cut, not rounded, to
    the printed digits gives it) or None. A printed zero keeps its sign: "-0.00" is not the rounding of
    +0.003. Raises `Unreadable` (a ValueError) or TypeError for a written number `check` calls unreadable."""
    return _agreement("written", written, value)



def _agreement(name, written, value):
    w, dec = _parse_written(name, written)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    if abs(value - w) <= EXACT * max(1.0, abs(value)):
        if dec is None or w != 0.0 or abs(value) < 1e-12 or dec.is_signed() == (value < 0):
            return "correct"
    if dec is None:
        return None
    if w == 0.0 and abs(value) >= 1e-12 and dec.is_signed() != (value < 0):
        return None
    quantum = Decimal(1).scaleb(dec.as_tuple().exponent)
    if abs(value - w) <= 0.5 * float(quantum) * (1 + 1e-9):  # the fuzz: 0.445 is 0.44499999... in binary
        return "correct"
    with localcontext() as ctx:
        ctx.prec = _PREC
        if Decimal(repr(value)).quantize(quantum, rounding=ROUND_DOWN) == dec:
            return "truncated"
    return None



def significant_digits(written):
    """How many significant digits `written` (as `check` reads it) prints: "0.0821" 3, "-1.5e-3" 2,
    0.49001 5; an exact number (an int, "1/2") counts as 17."""
    _, dec = _parse_written("written", written)
    if dec is None:
        return 17
    digits = dec.as_tuple().digits
    return max(1, len(digits) - next((i for i, d in enumerate(digits) if d), len(digits)))



# ---- claim names -------------------------------------------------------------------------------------------
class _Claim:
    """A parsed claim name: kind 'data' (of `node`), 'grad' (d `node` / d `wrt`) or 'update' (`node` after
    one SGD step)."""

    __slots__ = ("kind", "node", "wrt")

    def __init__(self, kind, node, wrt=None):
        self.kind, self.node, self.wrt = kind, node, wrt



def _label_index(order):
    index = {}
    for node in order:
        if node.label is not None:
            index.setdefault(node.label, []).append(node)
    return index



def _unknown(name, index, why="unknown name"):
    known = ", ".join(sorted(index)) or "(none: label the nodes you want to check)"
    return KeyError(f"check: {why} {name!r}: a claim is a node's label (its data), '∂A/∂B' or 'dA/dB' of two "
                    f"labels (a gradient) or 'label+' (after one SGD step); known labels: {known}")



def _lookup(name, label, index):
    nodes = index.get(label)
    if nodes is None:
        return None
    if len(nodes) > 1:
        raise _unknown(name, index, f"ambiguous label {label!r} ({len(nodes)} nodes) in")
    return nodes[0]



def _parse_name(name, index):
    if not isinstance(name, str):
        raise TypeError(f"check: claim names must be str, got {type(name).__name__} {short_repr(name)}")
    text = name.strip()
    node = _lookup(name, text, index)
    if node is not None:
        return _Claim("data", node)
    if text.endswith("+"):
        node = _lookup(name, text[:-1].strip(), index)
        if node is not None:
            return _Claim("update", node)
    if text[:1] in ("∂", "d"):
        for i in range(1, len(text) - 1):
            if text[i] == "/" and text[i + 1] in ("∂", "d"):
                num, den = _lookup(name, text[1:i].strip(), index), _lookup(name, text[i + 2:].strip(), index)
                if num is not None and den is not None:
                    return _Claim("grad", num, den)
    raise _unknown(name, index)




def _describe(claim):
    if claim.kind == "data":
        return claim.node.label
    if claim.kind == "grad":
        return f"∂{display_name(claim.node)}/∂{display_name(claim.wrt)}"
    return f"{claim.node.label}+"
