"""`grad`: gradients returned as Values, as ``torch.autograd.grad``; with ``create_graph=True`` they are
themselves differentiable, so derivatives of any order can be taken.

The derivatives are the engine's own backward closures (`compiler.rules.run_backward`), run with each
operand replaced by a private accumulator (no ``.grad`` is touched) and, with ``create_graph=True``, each
forward number the closure reads replaced by the node it is the value of, so that the closure's arithmetic
builds a graph instead of computing floats.
"""

from numbers import Real

from .checks import short_repr
from .compiler.rules import run_backward
from .engine import Value, topological_order
from .modes import enable_grad
from .graph import on_paths

__all__ = ["grad", "hessian"]


def grad(outputs, inputs, grad_outputs=None, create_graph=False, allow_unused=False):
    """d outputs / d inputs, as a tuple of Values, one per input (``torch.autograd.grad``).

    `outputs`: a Value or a sequence of Values; `inputs`: a Value or a sequence of Values they depend on;
    `grad_outputs`: None (1.0 for each output) or one number or Value per output, the vector of the
    vector-Jacobian product: the result is sum_k grad_outputs[k] * d outputs[k] / d input. Nothing
    accumulates into any ``.grad``. With ``create_graph=False`` each result is a new leaf holding the same
    float ``backward()`` would add to the input's ``grad`` (from zero); with ``create_graph=True`` it is a node
    of a graph built from the outputs' graph, which ``backward()`` or `grad` can differentiate again:
    ``grad(grad(x ** 3, x, create_graph=True)[0], x)`` is 6x. An input the outputs do not depend on raises
    ValueError naming it, or with ``allow_unused=True`` gives None. Inside `no_grad()`, ``create_graph=True``
    still builds the gradient's graph (as PyTorch's does).

    Raises TypeError for an output, input or grad_output of the wrong type, ValueError for empty
    `outputs`/`inputs` or a `grad_outputs` of another length."""
    if create_graph:  # the gradient's graph is built also inside no_grad(), as torch.autograd.grad does
        with enable_grad():
            return _grad(outputs, inputs, grad_outputs, create_graph, allow_unused)
    return _grad(outputs, inputs, grad_outputs, create_graph, allow_unused)


def _grad(outputs, inputs, grad_outputs, create_graph, allow_unused):
    outputs = _as_values(outputs, "outputs")
    inputs = _as_values(inputs, "inputs")
    seeds = _seeds(grad_outputs, len(outputs), create_graph)

    order, seen = [], set()
    for out in outputs:  # one order for all outputs: each one's order lists a node's parents before it
        for node in topological_order(out):
            if node not in seen:
                seen.add(node)
                order.append(node)
    needed = on_paths(order, inputs)
    slots = {}

    def accumulator(v):
        if v not in needed:
            return _Slot()  # a gradient no input needs: computed by the closure, then dropped
        if v not in slots:
            slots[v] = _Slot()
        return slots[v]

    for out, seed in zip(outputs, seeds):
        if out in needed:
            slot = accumulator(out)
            slot.grad = slot.grad + seed
    number = _number if create_graph else None
    functions = {"log": _Dual.log} if create_graph else None
    for node in reversed(order):
        if node.parents and node in slots:  # floats (number None): the closure keeps its own numbers
            g = slots[node].grad
            run_backward(node, g if number is None else _Dual.of(g), accumulator, number, functions)

    result = []
    for i, v in enumerate(inputs):
        if v not in slots:
            if not allow_unused:
                raise ValueError(f"grad: input {i} ({short_repr(v)}) is not used by the outputs; pass "
                                 f"allow_unused=True to get None for it")
            result.append(None)
            continue
        g = _raw(slots[v].grad)
        if not (create_graph and isinstance(g, Value)):
            g = Value(g.data if isinstance(g, Value) else g)
        result.append(g)
    return tuple(result)


def _number(q):
    """The Value standing for a forward number a closure binds (see `ops.saved_numbers`): the node q
    itself, or for logsumexp's temporaries, es_i = exp(v_i - m) and s = the largest term (exactly 1.0) + the
    sum of the others, the engine's floats computed from its operands (m, the largest operand's value, a
    constant: es_i / s does not depend on it)."""
    if not isinstance(q, tuple):
        return _Dual(q)
    kind, node = q
    xs = [v.data for v in node.parents]
    m = max(xs)
    es = [(v - m).exp() for v in node.parents]
    if kind == "es":
        return [_Dual(e) for e in es]
    i = xs.index(m) if m == m else 0
    return _Dual(es[i] + Value.sum(es[:i] + es[i + 1:]))  # es[i] is exactly 1.0, but a function of v_i


def hessian(output, inputs):
    """The matrix of second derivatives d^2 output / d inputs[i] d inputs[j]: a list of n lists of n floats
    (n = len(inputs)), row i being `grad` of d output / d inputs[i]. `output`: one Value; `inputs`: a
    sequence of Values; an input the output does not depend on gives a row and column of zeros. Raises as
    `grad`. The same inside ``no_grad()`` (`grad` with ``create_graph=True`` records there)."""
    inputs = _as_values(inputs, "inputs")
    if not isinstance(output, Value):
        raise TypeError(f"hessian: output must be one Value, got {type(output).__name__} {short_repr(output)}")
    rows = []
    for g in grad(output, inputs, create_graph=True, allow_unused=True):
        second = grad(g, inputs, allow_unused=True) if g is not None else [None] * len(inputs)
        rows.append([0.0 if h is None else h.data for h in second])
    return rows


class _Slot:
    """An operand's stand-in: the closure adds to ``grad``."""

    __slots__ = ("grad",)

    def __init__(self):
        self.grad = 0.0


def _as_values(xs, what):
    if isinstance(xs, Value):
        return [xs]
    if isinstance(xs, (list, tuple)) and xs and all(isinstance(x, Value) for x in xs):
        return list(xs)
    if isinstance(xs, (list, tuple)) and not xs:
        raise ValueError(f"grad: {what} is empty")
    bad = next((x for x in xs if not isinstance(x, Value)), xs) if isinstance(xs, (list, tuple)) else xs
    raise TypeError(f"grad: {what} must be a Value or a list of Values, got {type(bad).__name__} {short_repr(bad)}")


def _seeds(grad_outputs, n, create_graph):
    if grad_outputs is None:
        return [_Dual.of(Value(1.0)) if create_graph else 1.0] * n
    seeds = [grad_outputs] if isinstance(grad_outputs, (Value, Real)) else list(grad_outputs)
    if len(seeds) != n:
        raise ValueError(f"grad: {len(seeds)} grad_outputs for {n} outputs")
    out = []
    for k, s in enumerate(seeds):
        if isinstance(s, bool) or not isinstance(s, (Value, Real)):
            raise TypeError(f"grad: grad_outputs[{k}] must be a number or a Value, got {type(s).__name__} "
                            f"{short_repr(s)}")
        if create_graph:
            out.append(_Dual.of(s if isinstance(s, Value) else Value(s)))
        else:
            out.append(s.data if isinstance(s, Value) else float(s))
    return out


class _Dual:
    """A forward number inside a closure run for ``create_graph=True``: arithmetic goes through the Value
    `v` (building the graph of the derivative), truth tests and comparisons read its data as the closure's
    float would (``if k``, ``x > 0.0``). ``float()`` raises: a rule that took a float of it would cut the
    derivative off the graph."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    @staticmethod
    def of(x):
        return x if isinstance(x, _Dual) else _Dual(x if isinstance(x, Value) else Value(x))

    @staticmethod
    def log(x):
        return _Dual(_Dual.of(x).v.log())

    def __add__(self, o): return _Dual(self.v + _raw(o))
    def __radd__(self, o): return _Dual(_raw(o) + self.v)
    def __sub__(self, o): return _Dual(self.v - _raw(o))
    def __rsub__(self, o): return _Dual(_raw(o) - self.v)
    def __mul__(self, o): return _Dual(self.v * _raw(o))
    def __rmul__(self, o): return _Dual(_raw(o) * self.v)
    def __truediv__(self, o): return _Dual(self.v / _raw(o))
    def __rtruediv__(self, o): return _Dual(_raw(o) / self.v)
    def __pow__(self, o): return _Dual(self.v ** _raw(o))
    def __rpow__(self, o): return _Dual(_raw(o) ** self.v)
    def __neg__(self): return _Dual(-self.v)
    def __bool__(self): return bool(self.v.data)
    def __gt__(self, o): return self.v.data > _data(o)
    def __ge__(self, o): return self.v.data >= _data(o)
    def __lt__(self, o): return self.v.data < _data(o)
    def __le__(self, o): return self.v.data <= _data(o)
    def __eq__(self, o): return self.v.data == _data(o)
    def __ne__(self, o): return self.v.data != _data(o)
    __hash__ = None

    def __float__(self):
        raise TypeError("grad(create_graph=True): a backward closure took float() of a number it binds, which "
                        "would cut the derivative off the graph; bind the function as a default argument, as ** "
                        "binds log")


def _raw(x):
    return x.v if isinstance(x, _Dual) else x


def _data(x):
    return x.v.data if isinstance(x, _Dual) else x
