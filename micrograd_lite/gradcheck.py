"""Checking analytic gradients against finite differences."""

from .engine import Value, _check_number, no_grad

__all__ = ["numerical_grad"]


def numerical_grad(f, inputs, eps=1e-6):
    """Central-difference estimate of the gradient of `f` at `inputs`.

    `f` takes ``len(inputs)`` Values and returns one Value; `inputs` is a sequence of numbers. Returns a
    list of ``len(inputs)`` floats, entry i being (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), whose error
    is O(eps^2) for smooth f. Raises TypeError when an input is not a number or f does not return a Value.
    """
    xs = [_check_number(x, "numerical_grad input") for x in inputs]
    eps = _check_number(eps, "numerical_grad eps")
    grads = []
    for i in range(len(xs)):
        hi = _evaluate(f, xs[:i] + [xs[i] + eps] + xs[i + 1:])
        lo = _evaluate(f, xs[:i] + [xs[i] - eps] + xs[i + 1:])
        grads.append((hi - lo) / (2.0 * eps))
    return grads


def _evaluate(f, xs):
    with no_grad():  # only the value is needed: building no graph is faster
        out = f(*[Value(x) for x in xs])
    if not isinstance(out, Value):
        raise TypeError(f"numerical_grad: f must return a Value, got {type(out).__name__}")
    return out.data
