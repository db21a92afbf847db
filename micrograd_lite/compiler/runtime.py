"""The names generated code calls besides its own variables: `NAMESPACE`.

`sigmoid` and `logsumexp` compute exactly the floats the engine's ops do (the same formulas, in the same
order); tests/test_compile.py checks every op's compiled value against the engine's, bit for bit.
"""

import math

from ..checks import checked_pow
from ..engine import _power_of

__all__ = ["NAMESPACE", "sigmoid", "logsumexp"]


def sigmoid(x):
    """As ``Value.sigmoid``: 1 / (1 + e^-x), or e^x / (1 + e^x) for x < 0 where e^-x could overflow."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def logsumexp(xs):
    """As ``Value.logsumexp``: (log sum_i exp(xs[i]), [exp(xs[i] - m)], s = sum of those), m the largest,
    the largest term summed as 1 + log1p of the others. The last two are what its backward reads."""
    m = max(xs)
    es = [math.exp(x - m) for x in xs]
    i = xs.index(m) if m == m else 0
    es[i] = 0.0
    rest = sum(es)
    es[i] = 1.0
    return (m if math.isinf(m) else m + math.log1p(rest)), es, 1.0 + rest


NAMESPACE = {
    "inf": math.inf, "nan": math.nan, "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh,
    "sigmoid": sigmoid, "logsumexp": logsumexp,
    "power": checked_pow,   # x ** k as the engine's forward: errors for 0 ** negative, complex results
    "power_of": _power_of,  # x ** p inside a derivative: +-inf where the float power raises
}
