"""The names generated code calls besides its own variables: `NAMESPACE`.

`sigmoid` and `logsumexp` are the functions the engine's ops compute their values with (`formulas`);
tests/test_compile.py checks every op's compiled value against the engine's, bit for bit.
"""

import math

from ..checks import checked_pow
from ..engine import _power_of
from ..formulas import logsumexp, sigmoid

__all__ = ["NAMESPACE", "sigmoid", "logsumexp"]


NAMESPACE = {
    "inf": math.inf, "nan": math.nan, "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh,
    "sigmoid": sigmoid, "logsumexp": logsumexp,
    "power": checked_pow,   # x ** k as the engine's forward: errors for 0 ** negative, complex results
    "power_of": _power_of,  # x ** p inside a derivative: +-inf where the float power raises
}
