"""Checking analytic gradients against finite differences: `numerical_grad` and `gradcheck`.

`gradgradcheck` checks second derivatives (`autograd.hessian`) against central differences of the gradient.

`gradcheck` follows ``torch.autograd.gradcheck`` (same defaults eps=1e-6, atol=1e-5, rtol=1e-3, same test
|analytic - numeric| <= atol + rtol * |numeric|, same reentrance check), for functions of scalar inputs.
"""

import math
from numbers import Real

from .autograd import hessian
from .engine import Value, no_grad, topological_order
from .modes import enable_grad

__all__ = ["numerical_grad", "numerical_hessian", "gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by `gradcheck` when a gradient disagrees with finite differences or backward() is not
    reentrant (a RuntimeError, as ``torch.autograd.gradcheck.GradcheckError``)."""


def numerical_grad(f, inputs, eps=1e-6):
    """Central-difference estimate of the gradient of `f` at `inputs`.

    `f` takes ``len(inputs)`` Values and returns one Value; `inputs` is a sequence of finite numbers
    (ints or floats). Returns a list of ``len(inputs)`` floats, entry i being
    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), whose error is O(eps^2) for smooth f. `f` is evaluated
    under `no_grad`, so no graph is built and no ``grad`` changes.

    Raises TypeError when `f` is not callable, an input or `eps` is not a number, or `f` does not return
    a Value; ValueError when an input is not finite or `eps` is not finite and > 0. An error raised by `f`
    itself (e.g. ``log`` of a value <= 0 at x - eps) propagates, with a note naming the point (PEP 678's
    ``__notes__``; printed under the message on Python 3.11+).
    """
    xs = _check_args("numerical_grad", f, inputs, eps)
    return _central_differences(f, xs, eps)


@enable_grad()  # f must build its graph even when called inside no_grad()
def gradcheck(f, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check the engine's gradient of `f` at `inputs` against central differences, as
    ``torch.autograd.gradcheck`` does.

    `f` takes ``len(inputs)`` Values and returns one Value; `inputs` is a non-empty sequence of finite
    numbers. The analytic gradient is the ``grad`` of fresh leaf Values after ``f(*leaves).backward()``;
    the numeric one is `numerical_grad` with step `eps`. Input i passes when
    ``|analytic_i - numeric_i| <= atol + rtol * |numeric_i|`` (NaN never passes), so an input the output
    is disconnected from (analytic 0.0, e.g. because `f` went through ``.data``) fails unless the numeric
    gradient is 0 too. Then the input grads are zeroed and ``backward()`` is run a second time on the same
    graph; it must give exactly the same gradients (backward is deterministic, so any difference means a
    backward function keeps state).

    Returns True when everything passes. Otherwise raises GradcheckError whose message names each failing
    input's index and value, the analytic and numeric gradients and their difference, or with
    ``raise_exception=False`` returns False. Other Values that `f` reads (e.g. a model's parameters) have
    their ``grad`` restored afterwards.

    Raises TypeError when `f` is not callable, an input, `eps`, `atol` or `rtol` is not a number, or `f`
    does not return a Value; ValueError when `inputs` is empty, an input is not finite, `eps` is not
    finite and > 0, or `atol` / `rtol` is not finite and >= 0. Errors raised by `f` itself propagate. Runs
    inside `enable_grad()`: the same answer inside ``no_grad()``.
    """
    xs, leaves, out = _prepare("gradcheck", f, inputs, eps, atol, rtol)
    analytic, second = _backward_twice(out, leaves)
    numeric = _central_differences(f, xs, eps)

    problems = []
    for i, (x, a, n) in enumerate(zip(xs, analytic, numeric)):
        diff = abs(a - n)
        tol = atol + rtol * abs(n)
        if not diff <= tol:  # written so that a NaN fails
            hint = " (analytic is 0: is the output disconnected from this input?)" if a == 0.0 else ""
            problems.append(f"  input {i} (x = {x!r}): analytic {a!r}, numeric {n!r}, "
                            f"difference {diff!r} > tolerance {tol!r}{hint}")
    if problems:
        return _fail(raise_exception,
                     f"gradcheck: analytic and numeric gradients disagree (eps={eps!r}, atol={atol!r}, "
                     f"rtol={rtol!r}; numeric by central differences):\n" + "\n".join(problems))

    changed = [f"  input {i}: first {a!r}, second {b!r}, difference {abs(a - b)!r}"
               for i, (a, b) in enumerate(zip(analytic, second)) if a != b]
    if changed:
        return _fail(raise_exception,
                     "gradcheck: backward is not reentrant: a second backward() after zeroing the input "
                     "grads gave different gradients, although the first matched the numeric ones:\n"
                     + "\n".join(changed))
    return True


def _prepare(name, f, inputs, eps, atol, rtol):
    """The checks `gradcheck` and `gradgradcheck` share, then `f` on fresh leaves: (xs, leaves, out)."""
    xs = _check_args(name, f, inputs, eps)
    if not xs:
        raise ValueError(f"{name}: needs at least one input")
    _check_scalar(name, "atol", atol, "a finite number >= 0", lambda t: t >= 0)
    _check_scalar(name, "rtol", rtol, "a finite number >= 0", lambda t: t >= 0)
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"{name}: f must return a Value, got {type(out).__name__} {out!r}")
    return xs, leaves, out


@enable_grad()
def gradgradcheck(f, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check the second derivatives of `f` at `inputs` (the Hessian, from `grad` with ``create_graph=True``)
    against central differences of the engine's gradient, as ``torch.autograd.gradgradcheck`` checks
    second-order gradients.

    `f`, `inputs`, `eps`, `atol`, `rtol`, `raise_exception`: as `gradcheck`. Entry (i, j) passes when
    ``|H_ij - N_ij| <= atol + rtol * |N_ij|``, where N_ij = (g_i(x + eps e_j) - g_i(x - eps e_j)) / (2 eps)
    and g is the gradient by ``backward()``. Returns True when every entry passes; otherwise raises
    GradcheckError naming each failing (i, j) with both values, or returns False with
    ``raise_exception=False``. Raises TypeError and ValueError as `gradcheck`; no ``grad`` of a Value `f`
    reads is changed. Runs inside `enable_grad()`: the same answer inside ``no_grad()``."""
    xs, leaves, out = _prepare("gradgradcheck", f, inputs, eps, atol, rtol)
    analytic = hessian(out, leaves)
    numeric = numerical_hessian(f, xs, eps)
    problems = []
    for i, (row, nrow) in enumerate(zip(analytic, numeric)):
        for j, (a, n) in enumerate(zip(row, nrow)):
            tol = atol + rtol * abs(n)
            if not abs(a - n) <= tol:
                problems.append(f"  d2f/dx{i}dx{j}: analytic {a!r}, numeric {n!r}, difference {abs(a - n)!r} "
                                f"> tolerance {tol!r}")
    if problems:
        return _fail(raise_exception,
                     f"gradgradcheck: analytic and numeric second derivatives disagree at {xs!r} (eps={eps!r}, "
                     f"atol={atol!r}, rtol={rtol!r}; numeric by central differences of the gradient):\n"
                     + "\n".join(problems))
    return True


def numerical_hessian(f, inputs, eps=1e-6):
    """Central differences of the engine's gradient of `f` at `inputs` (a sequence of n floats): n lists
    of n floats, entry (i, j) = (g_i(x + eps e_j) - g_i(x - eps e_j)) / (2 eps), with error O(eps^2) for
    smooth f (plus rounding, about 1e-16 |g| / eps). Other Values `f` reads keep their ``grad``."""
    xs = _check_args("numerical_hessian", f, inputs, eps)
    columns = []
    for j in range(len(xs)):
        hi = _gradient_at(f, xs[:j] + [xs[j] + eps] + xs[j + 1:])
        lo = _gradient_at(f, xs[:j] + [xs[j] - eps] + xs[j + 1:])
        columns.append([(a - b) / (2.0 * eps) for a, b in zip(hi, lo)])
    return [[columns[j][i] for j in range(len(xs))] for i in range(len(xs))]


def _gradient_at(f, point):
    leaves = [Value(x) for x in point]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"numerical_hessian: f must return a Value, got {type(out).__name__} {out!r}")
    return _backward_twice(out, leaves)[0]


def _backward_twice(out, leaves):
    """The inputs' gradients from ``out.backward()``, then again after zeroing them. Any other leaf of the
    graph (a parameter `f` captured) gets its ``grad`` back as it was: checking must not change it."""
    mine = set(leaves)  # Values hash by identity
    others = [n for n in topological_order(out) if not n.parents and n not in mine]
    saved = [n.grad for n in others]
    try:
        out.backward()
        first = [v.grad for v in leaves]
        for v in leaves:
            v.grad = 0.0
        out.backward()  # interior grads are reset by backward() itself
        second = [v.grad for v in leaves]
    finally:
        for n, g in zip(others, saved):
            n.grad = g
    return first, second


def _central_differences(f, xs, eps):
    grads = []
    for i in range(len(xs)):
        hi = _evaluate(f, xs, i, eps)
        lo = _evaluate(f, xs, i, -eps)
        grads.append((hi - lo) / (2.0 * eps))
    return grads


def _evaluate(f, xs, i, step):
    """f's value with input i moved by `step`, built without a graph."""
    point = xs[:i] + [xs[i] + step] + xs[i + 1:]
    try:
        with no_grad():  # only the value is needed: building no graph is faster
            out = f(*[Value(x) for x in point])
    except Exception as e:
        _add_note(e, f"(raised while evaluating f at input {i} {'+' if step > 0 else '-'} eps, inputs {point!r})")
        raise
    if not isinstance(out, Value):
        raise TypeError(f"numerical_grad: f must return a Value, got {type(out).__name__} {out!r}")
    return out.data


def _add_note(error, note):
    """PEP 678's ``error.add_note(note)``: f's own message is kept and the note is printed under it. Python 3.10
    has no add_note, so the note is appended to ``__notes__`` directly (the attribute 3.11+ uses), where code
    finds it on every version; 3.10's tracebacks do not print it."""
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:
        error.__notes__ = [*getattr(error, "__notes__", []), note]


def _is_number(x):
    return isinstance(x, Real) and not isinstance(x, bool)


def _check_args(where, f, inputs, eps):
    """`inputs` as a list of floats, after checking `f`, every input and `eps`."""
    if not callable(f):
        raise TypeError(f"{where}: f must be callable, got {type(f).__name__} {f!r}")
    try:
        xs = list(inputs)
    except TypeError:
        raise TypeError(f"{where}: inputs must be a sequence of numbers, got {type(inputs).__name__} "
                        f"{inputs!r}") from None
    for i, x in enumerate(xs):
        if isinstance(x, Value):
            raise TypeError(f"{where}: input {i} must be an int or float, got {x!r} (pass its .data)")
        if not _is_number(x):
            raise TypeError(f"{where}: input {i} must be an int or float, got {type(x).__name__} {x!r}")
        if not math.isfinite(x):
            raise ValueError(f"{where}: input {i} must be finite, got {x!r}")
    _check_scalar(where, "eps", eps, "a finite number > 0", lambda e: e > 0)
    return [float(x) for x in xs]


def _check_scalar(where, name, x, what, ok):
    """TypeError when `x` is not an int or float; ValueError when it is not finite or not `ok`."""
    if not _is_number(x):
        raise TypeError(f"{where}: {name} must be {what}, got {type(x).__name__} {x!r}")
    if not math.isfinite(x) or not ok(x):
        raise ValueError(f"{where}: {name} must be {what}, got {x!r}")


def _fail(raise_exception, message):
    if raise_exception:
        raise GradcheckError(message)
    return False
