"""The record of the alternative: micrograd_lite's engine before issue 11, kept as it was (commit 027cfd3).

Instead of a closure per node, each op attached one shared module-level backward function, called with the
node (``node._backward(node)``) and reading the operands from ``node._prev``. Issue 11 brought the engine
back to the design card's closures; `benchmarks.run` times both on the same workloads so the cost of that
choice stays measured. Not part of the library: only the benchmarks import it. Its docstrings and comments
are those of that commit, timings included (they describe that commit's measurements).
"""

import math

from micrograd_lite.checks import check_number as _check_number

__all__ = ["Value", "no_grad", "detect_anomaly", "topological_order"]

# Speed notes: each trick's number is measured by benchmarks/tricks.py (CPython 3.11, against the code it
# replaced); the comparison with micrograd is benchmarks/run.py.
_new = object.__new__  # ops build nodes without running the validating __init__: 0.17 us per node, not 0.26

# Two switches, read on every op. `_plain` is True when both are off, so the common path tests one global
# (10 ns per node less than testing both).
_recording = True  # False inside no_grad(): ops build no graph.
_anomaly = False   # True inside detect_anomaly(): every forward value and gradient is checked.
_plain = True


def _as_value(x, op):
    """`x` itself when it is a Value, else a constant leaf holding the number `x`."""
    if isinstance(x, Value):
        return x
    return _constant(_check_number(x, op))


def _constant(x):
    """A leaf holding the float `x`, built without `Value.__init__`'s check, which `x` has passed
    (0.15 us instead of 0.20)."""
    out = _new(Value)
    out.data = x
    out.grad = 0.0
    out.label = None
    out._prev = ()
    out._op = ""
    out._backward = None
    return out


# Every op calls this; inlining it into the ops would save about 40 ns per op (tricks.py), not worth
# fifteen copies of it.
def _result(data, prev, op, backward):
    """The node an op returns: `data` computed from the parents `prev` (a tuple) by `op`."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if _plain:
        out._prev = prev
        out._op = op
        out._backward = backward
        return out
    if _recording:
        out._prev, out._op, out._backward = prev, op, backward
    else:  # no_grad: a leaf, remembering nothing
        out._prev, out._op, out._backward = (), "", None
    if _anomaly and not math.isfinite(data):
        raise FloatingPointError(
            f"detect_anomaly: {op} produced {data!r} from inputs "
            + ", ".join(repr(p) for p in prev))
    return out


class Value:
    """A scalar in a computation graph: its value `data`, the gradient `grad` of the last `backward()` root
    with respect to it, and how it was computed.

    ``Value(data, label=None)``: `data` is an int or float (stored as float; bool is rejected with
    TypeError); `label` is an optional name (e.g. ``"w5"``) used by printing and drawing.

    Fields: ``data`` (float), ``grad`` (float, starts 0.0), ``label`` (str or None), ``parents`` (tuple of
    the Values it was computed from, in operand order), ``op`` (the op's name, ``""`` for a leaf).

    Operands may be Values or plain numbers on either side (``2 * v``, ``v - 1``, ``1 / v``); a number
    becomes a constant leaf of the graph.
    """

    # Slots, not a __dict__: a leaf with its float takes 113 bytes instead of 161.
    __slots__ = ("data", "grad", "label", "_prev", "_op", "_backward")

    def __init__(self, data, label=None):
        self.data = _check_number(data, "Value", "an int or float")
        self.grad = 0.0
        self.label = label
        self._prev = ()
        self._op = ""
        self._backward = None

    @property
    def parents(self):
        """The Values this one was computed from (a tuple, in operand order; empty for a leaf)."""
        return self._prev

    @property
    def op(self):
        """The name of the operation that produced this Value (``'+'``, ``'tanh'``, ...; ``''`` for a leaf)."""
        return self._op

    def __repr__(self):
        label = f"label={self.label!r}, " if self.label is not None else ""
        return f"Value({label}data={self.data!r}, grad={self.grad!r})"

    # ---- arithmetic -------------------------------------------------------------------------------------
    # Each op tests `type(other) is not Value` before calling _as_value: 50 ns for a Value operand, not 75.
    # d(a+b)/da = 1, d(a+b)/db = 1
    def __add__(self, other):
        if type(other) is not Value:
            other = _as_value(other, "+")
        return _result(self.data + other.data, (self, other), "+", _add_backward)

    def __radd__(self, other):
        return _as_value(other, "+") + self

    # d(a-b)/da = 1, d(a-b)/db = -1
    def __sub__(self, other):
        if type(other) is not Value:
            other = _as_value(other, "-")
        return _result(self.data - other.data, (self, other), "-", _sub_backward)

    def __rsub__(self, other):
        return _as_value(other, "-") - self

    # d(ab)/da = b, d(ab)/db = a
    def __mul__(self, other):
        if type(other) is not Value:
            other = _as_value(other, "*")
        return _result(self.data * other.data, (self, other), "*", _mul_backward)

    def __rmul__(self, other):
        return _as_value(other, "*") * self

    # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b
    def __truediv__(self, other):
        if type(other) is not Value:
            other = _as_value(other, "/")
        if other.data == 0.0:
            raise ZeroDivisionError(f"/: division by zero ({self.data!r} / {other.data!r})")
        return _result(self.data / other.data, (self, other), "/", _div_backward)

    def __rtruediv__(self, other):
        return _as_value(other, "/") / self

    # d(-a)/da = -1
    def __neg__(self):
        return _result(-self.data, (self,), "neg", _neg_backward)

    # Number exponent k:  d(a^k)/da = k a^(k-1).
    # Value exponent b:   d(a^b)/da = b a^(b-1),  d(a^b)/db = a^b ln a.
    def __pow__(self, other):
        if isinstance(other, Value):
            return _result(_pow(self.data, other.data), (self, other), "**", _pow_backward)
        k = _check_number(other, "**")
        # The exponent is kept as a constant leaf so the graph (and its picture) shows it.
        return _result(_pow(self.data, k), (self, _constant(k)), "**", _pow_const_backward)

    def __rpow__(self, other):
        return _as_value(other, "**") ** self

    # ---- elementwise functions --------------------------------------------------------------------------
    def exp(self):
        """e ** self. Raises OverflowError naming the value when the result exceeds the float range."""
        # d(e^a)/da = e^a
        try:
            y = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp: result out of float range for exp({self.data!r})") from None
        return _result(y, (self,), "exp", _exp_backward)

    def log(self):
        """Natural logarithm. Raises ValueError naming the value when it is <= 0."""
        # d(ln a)/da = 1/a
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log: argument must be > 0, got {x!r}")
        return _result(math.log(x), (self,), "log", _log_backward)

    def tanh(self):
        """Hyperbolic tangent; saturates to exactly +-1.0 (derivative 0.0) without overflow."""
        # d(tanh a)/da = 1 - tanh(a)^2
        return _result(math.tanh(self.data), (self,), "tanh", _tanh_backward)

    def sigmoid(self):
        """Logistic function 1 / (1 + e^-x), computed without overflow: sigmoid(-1000) = 0.0."""
        # d(s(a))/da = s(a) (1 - s(a))
        x = self.data
        if x >= 0.0:
            y = 1.0 / (1.0 + math.exp(-x))
        else:  # e^-x would overflow for very negative x; e^x / (1 + e^x) is the same number.
            e = math.exp(x)
            y = e / (1.0 + e)
        return _result(y, (self,), "sigmoid", _sigmoid_backward)

    def relu(self):
        """max(0, x); the derivative at 0 is taken as 0, as in PyTorch. NaN propagates."""
        # d(relu a)/da = 1 if a > 0 else 0
        x = self.data
        return _result(0.0 if x <= 0.0 else x, (self,), "relu", _relu_backward)

    # ---- fused n-ary nodes: one node where a chain of binary ops would make n ---------------------------
    @staticmethod
    def sum(values, start=0.0):
        """``start + values[0] + ... + values[n-1]`` as one node (d/dv_i = 1 for each i).

        `values`: an iterable of Values or numbers; `start`: a number or a Value. With nothing to add,
        returns a constant leaf equal to `start`."""
        vals = _values(values, "sum")
        if isinstance(start, Value):
            vals.append(start)
            start = 0.0
        else:
            start = _check_number(start, "sum")
        if not vals:
            return Value(start)
        return _result(start + sum([v.data for v in vals]), tuple(vals), "sum", _sum_backward)

    @staticmethod
    def dot(weights, inputs, bias=None):
        """``bias + sum_i weights[i] * inputs[i]`` as one node: a neuron's pre-activation ``w . x + b``.

        `weights` and `inputs`: sequences of the same length n (Values or numbers); `bias`: a Value, a
        number or None. d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1. Raises ValueError when the lengths
        differ. One node instead of 2n binary ones: a 16-input neuron's forward and backward take 6 us
        instead of 21."""
        if len(weights) != len(inputs):
            raise ValueError(f"dot: {len(weights)} weights but {len(inputs)} inputs")
        ws, xs = _values(weights, "dot"), _values(inputs, "dot")
        return _dot(ws, xs, None if bias is None else _as_value(bias, "dot"))

    @staticmethod
    def logsumexp(values):
        """``log(sum_i exp(values[i]))`` as one node, computed stably as m + log sum exp(v_i - m) with m the
        largest value, so logits of +-1000 give a finite result. d/dv_i = softmax(values)_i.
        Raises ValueError for an empty sequence."""
        vals = _values(values, "logsumexp")
        if not vals:
            raise ValueError("logsumexp: needs at least one value")
        m = max([v.data for v in vals])
        if math.isinf(m):  # all -inf, or a +inf: the shift would give inf - inf
            return _result(m, tuple(vals), "logsumexp", _logsumexp_backward)
        s = sum([math.exp(v.data - m) for v in vals])
        return _result(m + math.log(s), tuple(vals), "logsumexp", _logsumexp_backward)

    # ---- backpropagation --------------------------------------------------------------------------------
    def backward(self, gradient=1.0):
        """Backpropagate from this node: ``grad`` of every node it depends on gains d(self)/d(node) x
        `gradient` (a number, default 1.0).

        Gradients of leaves (parameters, inputs) accumulate across calls until reset, as in PyTorch.
        The ``grad`` of an interior node is this call's gradient: it is reset before propagating, so a
        second call neither double-counts nor loses anything. Calling it again on the same graph is
        allowed and adds the same gradients again. Raises TypeError when `gradient` is not an int or float
        (a list, a str, a Value...), and under `detect_anomaly()` FloatingPointError when it is NaN or
        infinite."""
        seed = _check_number(gradient, "backward gradient", "an int or float")
        if _anomaly and not math.isfinite(seed):
            raise FloatingPointError(f"detect_anomaly: backward gradient {seed!r} at {self!r}")
        if not self._prev:  # a leaf: d(self)/d(self) = 1
            self.grad += seed
            return
        order = _depth_first(self, False, True)  # interior nodes only, each grad reset to 0.0
        self.grad = seed
        if _anomaly:
            return _backward_checked(order)
        for node in reversed(order):
            node._backward(node)

    def zero_grad(self):
        """Set ``grad`` to 0.0 on this node and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


# ---- the fused dot node without its checks -------------------------------------------------------------
def _values(xs, op):
    """`xs` (an iterable of Values and numbers) as a list of Values, numbers made constant leaves; a
    non-number raises TypeError naming `op`."""
    return [x if type(x) is Value else _as_value(x, op) for x in xs]


def _dot(ws, xs, bias):
    """`Value.dot` of two equally long lists of Values and a Value or None, unchecked: a Layer converts its
    input once and calls this for every neuron (with numbers in, 0.11 us per input per neuron instead of
    0.39; benchmarks/tricks.py)."""
    total = 0.0
    for w, x in zip(ws, xs):  # a loop, not sum() of a list comprehension: ~75 ns per input, not ~85
        total += w.data * x.data  # (and plainly left to right: sum() of floats compensates since 3.12)
    if bias is None:
        return _result(total, (*ws, *xs), "dot", _dot_backward)
    # Parents are w_1..w_n, x_1..x_n, then the bias: the backward tells them apart by position.
    return _result(total + bias.data, (*ws, *xs, bias), "dot", _dot_backward)


def topological_order(root, leaves=True):
    """Every node `root` depends on, each once, parents before children, `root` last (a list).

    Deterministic: the order depends only on the graph's structure and operand order. With
    ``leaves=False`` only interior (computed) nodes are listed. Iterative, so a graph of any depth works
    (a recursive sort fails near Python's recursion limit of 1,000)."""
    return _depth_first(root, leaves, False)


def _depth_first(root, leaves, reset):
    """`topological_order`'s search. With `reset`, every interior node's grad is set to 0.0 as it is listed,
    as backward() needs: done here, while the node is in the cache, rather than in a second pass over the
    list, backward() of a fresh 100,000-op graph is about 6% faster (0.87 us per node, not 0.93)."""
    if not root._prev:
        return [root] if leaves else []
    order = []
    seen = {root}
    # A depth-first search: `path` holds the nodes being explored, `todo` an iterator over each one's parents
    # not yet looked at. Two lists rather than one list of (node, iterator) pairs: one object fewer for the
    # garbage collector per level, which a deep graph feels (a 300,000-op chain: 0.88 us per node, not 1.46).
    path = [root]
    todo = [iter(root._prev)]
    while todo:
        for p in todo[-1]:  # resumes where this node's iterator stopped last time
            if p not in seen:
                seen.add(p)
                if p._prev:
                    path.append(p)
                    todo.append(iter(p._prev))
                    break
                if leaves:
                    order.append(p)
        else:  # every parent is listed: the node goes next
            todo.pop()
            node = path.pop()
            if reset:
                node.grad = 0.0
            order.append(node)
    return order


def _backward_checked(order):
    """backward() under detect_anomaly(): after each op's step, the first non-finite gradient raises."""
    for node in reversed(order):
        node._backward(node)
        for p in node._prev:
            if not math.isfinite(p.grad):
                name = f" (label {node.label!r})" if node.label is not None else ""
                raise FloatingPointError(
                    f"detect_anomaly: backward of {node._op}{name} gave gradient {p.grad!r} to {p!r}; "
                    f"inputs " + ", ".join(repr(q) for q in node._prev))


# ---- the backward functions: each op's local derivatives, times the upstream gradient -------------------
def _add_backward(node):
    a, b = node._prev
    g = node.grad
    a.grad += g
    b.grad += g


def _sub_backward(node):
    a, b = node._prev
    g = node.grad
    a.grad += g
    b.grad -= g


def _mul_backward(node):
    a, b = node._prev
    g = node.grad
    a.grad += b.data * g
    b.grad += a.data * g


def _div_backward(node):
    a, b = node._prev
    g = node.grad / b.data
    a.grad += g
    b.grad -= node.data * g


def _neg_backward(node):
    node._prev[0].grad -= node.grad


def _pow_const_backward(node):
    a, k = node._prev
    if k.data == 2.0:  # squares (mse, L2) skip the helper's call (0.11 us, not 0.18): 2x, as it returns
        a.grad += 2.0 * a.data * node.grad
    else:
        a.grad += _power_derivative(a.data, k.data) * node.grad


def _pow_backward(node):
    a, b = node._prev
    g = node.grad
    a.grad += _power_derivative(a.data, b.data) * g
    x = a.data
    if x > 0.0:
        b.grad += node.data * math.log(x) * g
    elif x < 0.0:  # a^b for real b is defined only at integer b, where d/db has no real value
        b.grad += math.nan
    # x == 0: a^b ln a -> 0 as a -> 0+ for b > 0, so b gains nothing.


def _exp_backward(node):
    node._prev[0].grad += node.data * node.grad


def _log_backward(node):
    a = node._prev[0]
    a.grad += node.grad / a.data


def _tanh_backward(node):
    t = node.data
    node._prev[0].grad += (1.0 - t * t) * node.grad


def _sigmoid_backward(node):
    s = node.data
    node._prev[0].grad += s * (1.0 - s) * node.grad


def _relu_backward(node):
    if node.data > 0.0:
        node._prev[0].grad += node.grad


def _sum_backward(node):
    g = node.grad
    for p in node._prev:
        p.grad += g


def _dot_backward(node):
    prev = node._prev
    g = node.grad
    n = len(prev) >> 1
    for i in range(n):
        w = prev[i]
        x = prev[n + i]
        w.grad += x.data * g
        x.grad += w.data * g
    if len(prev) & 1:  # the bias
        prev[-1].grad += g


def _logsumexp_backward(node):
    g = node.grad
    y = node.data
    for v in node._prev:
        v.grad += math.exp(v.data - y) * g


# ---- helpers for ** ---------------------------------------------------------------------------------------
def _pow(x, k):
    """x ** k for floats, with errors that name the op and the operands."""
    if x == 0.0 and k < 0.0:
        raise ZeroDivisionError(f"**: 0.0 cannot be raised to a negative power ({x!r} ** {k!r})")
    if x < 0.0 and math.isfinite(k) and k != int(k):
        raise ValueError(f"**: a negative base to a non-integer power has no real value ({x!r} ** {k!r})")
    try:
        return x ** k
    except OverflowError:
        raise OverflowError(f"**: result out of float range for {x!r} ** {k!r}") from None


def _power_derivative(x, k):
    """d(x^k)/dx = k x^(k-1); infinite at x = 0 for 0 < k < 1 (e.g. sqrt), as in PyTorch."""
    if k == 0.0:
        return 0.0
    if x == 0.0 and k < 1.0:
        return math.inf
    try:
        return k * x ** (k - 1.0)
    except OverflowError:  # |x^(k-1)| is past the float range; its sign is negative for x < 0, odd k - 1
        odd = x < 0.0 and (k - 1.0) % 2.0 == 1.0
        return math.copysign(math.inf, -k if odd else k)


# ---- evaluation modes -------------------------------------------------------------------------------------
class _Mode:
    """Base of the context managers that flip one engine switch and restore it on exit (also on error).
    Blocks nest, also when one instance is entered again inside itself: each entry saves on a stack."""

    def __init__(self):
        self._saved = []

    def __enter__(self):
        global _recording, _anomaly, _plain
        self._saved.append((_recording, _anomaly))
        _recording, _anomaly = self._switch(_recording, _anomaly)
        _plain = _recording and not _anomaly
        return self

    def __exit__(self, *exc):
        global _recording, _anomaly, _plain
        _recording, _anomaly = self._saved.pop()
        _plain = _recording and not _anomaly
        return False


class no_grad(_Mode):
    """Context manager: ops inside build no graph and keep no parents (for evaluation and sampling),
    like ``torch.no_grad()``. Values made inside are leaves; ``backward()`` through them stops there."""

    def _switch(self, recording, anomaly):
        return False, anomaly


class detect_anomaly(_Mode):
    """Context manager, like ``torch.autograd.detect_anomaly()``: inside it, the first op whose forward value
    is NaN or infinite, and the first backward step that produces a NaN or infinite gradient, raise
    FloatingPointError naming the op and its inputs (with their labels; in backward also the node's label).
    A NaN or infinite `gradient` passed to ``backward()`` raises too. Leaves made with ``Value(nan)`` are
    not checked until an op uses them."""

    def _switch(self, recording, anomaly):
        return recording, True
