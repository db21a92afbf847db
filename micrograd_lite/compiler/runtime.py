"""The names generated code calls besides its own variables: `NAMESPACE`.

`sigmoid` and `logsumexp` are the functions the engine's ops compute their values with (`formulas`);
tests/test_compile.py checks every op's compiled value against the engine's, bit for bit.
"""

import math
from collections import deque
from itertools import repeat
from operator import add, itemgetter, mul, setitem

from ..checks import checked_pow
from ..engine import _power_of
from ..formulas import logsumexp, sigmoid

__all__ = ["NAMESPACE", "sigmoid", "logsumexp", "index", "scatter", "store_grads"]

_consume = deque(maxlen=0).extend  # runs an iterator to its end, keeping nothing


def index(*bounds):
    """The tuple of ints ``range(bounds[0], bounds[1]) + range(bounds[2], bounds[3]) + ...``: a long dot's
    positions in the step's value and gradient lists, written compactly (its weights are mostly consecutive)."""
    return tuple(i for a, b in zip(bounds[::2], bounds[1::2]) for i in range(a, b))


def scatter(target, positions, values):
    """``target[positions[i]] = values[i]`` for every i (`values` an iterable), in C: a long dot's gradients
    written back to the step's gradient list."""
    _consume(map(setitem, repeat(target), positions, values))


def store_grads(params, grads):
    """``params[i].grad = grads[i]`` for each parameter (`grads` may be longer), in C."""
    _consume(map(setattr, params, repeat("grad"), grads))


NAMESPACE = {
    "inf": math.inf, "nan": math.nan, "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh,
    "sigmoid": sigmoid, "logsumexp": logsumexp,
    "power": checked_pow,   # x ** k as the engine's forward: errors for 0 ** negative, complex results
    "power_of": _power_of,  # x ** p inside a derivative: +-inf where the float power raises
    # a long dot (codegen.VECTOR_MIN weights or more) reads and writes the step's lists V and G with these
    "mul": mul, "add": add, "repeat": repeat, "itemgetter": itemgetter, "index": index, "scatter": scatter,
    "store_grads": store_grads,
}
