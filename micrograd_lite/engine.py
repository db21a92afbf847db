"""The scalar autograd engine: `Value`, its ops, and reverse-mode `backward()`.

Each op computes its forward value, defines right there a backward closure that states the op's local
derivatives (called with the upstream gradient ``g``, it adds ``g`` times each local derivative to its
operands' ``grad``), and returns the new node. `backward()` calls the closures in reverse topological order.
A closure keeps its operands and the forward numbers it needs, never its output node, so a graph holds no
reference cycle and is freed as soon as it is dropped; and ``backward()`` gives the gradients at the point
where the graph was built, even if some ``data`` changed since. Closures bind what they keep as default
arguments: one tuple per node, which the benchmarks found cheaper than one cell per captured name. The
forward numbers a closure keeps are named by one convention: ``x`` and ``y`` the values of the first and
second operand (lists of values for a dot's weights and inputs), ``out`` the result; any other name is a
forward temporary that is no node's value (logsumexp's ``es``, ``s``). `ops.OPS` lists, per op, which it keeps,
and tests/test_ops.py checks every closure against its row.
Numerical policy, modes and errors: README, "Errors and checkpoints"; ``no_grad`` et al.: `modes`.
"""

import math
from operator import mul as _mul

from .checks import check_number, checked_pow, short_repr
from .formulas import logsumexp as _logsumexp, sigmoid as _sigmoid
from .modes import OPEN as _OPEN, _state, anomaly_in_forward, backward_checked, detect_anomaly, no_grad

__all__ = ["Value", "no_grad", "detect_anomaly", "topological_order"]

_new = object.__new__  # nodes are built without __init__, whose check their numbers have already passed


class Value:
    """A scalar in a computation graph.

    ``Value(data, label=None)``: `data` an int or float (stored as float; bool and non-numbers raise
    TypeError); `label` an optional name (e.g. ``"w5"``) for printing and drawing. Fields: ``data``, ``grad``
    (float, starts 0.0: d root / d self after ``root.backward()``), ``label``, ``parents`` (tuple of the
    Values it was computed from, in operand order; empty for a leaf) and ``op`` (``'*'``, ``'tanh'``...;
    ``''`` for a leaf). Operands may be Values or numbers on either side (``2 * v``, ``1 / v``); a number
    becomes a constant leaf. ``float(v)``, ``v.item()`` and ``< <= > >=`` read ``data``; ``==`` and hashing
    are by identity, because graphs keep nodes in sets and dicts (compare ``a.data == b.data`` for numbers).
    """

    __slots__ = ("data", "grad", "label", "parents", "op", "_backward")

    def __init__(self, data, label=None):
        self.data = check_number(data, "Value", "an int or float")
        self.grad = 0.0
        self.label = label
        self.parents = ()
        self.op = ""
        self._backward = None

    def __repr__(self):
        label = f"label={self.label!r}, " if self.label is not None else ""
        return f"Value({label}data={self.data!r}, grad={self.grad!r})"

    def __float__(self):
        return self.data

    def item(self):
        """``data``, as ``torch.Tensor.item()``."""
        return self.data

    def __lt__(self, other):
        return self.data < _number(other, "<")

    def __le__(self, other):
        return self.data <= _number(other, "<=")

    def __gt__(self, other):
        return self.data > _number(other, ">")

    def __ge__(self, other):
        return self.data >= _number(other, ">=")

    # ---- arithmetic ---------------------------------------------------------------------------------------
    def __add__(self, other):
        if type(other) is not Value:  # a type test first: most operands are Values
            other = _as_value(other, "+")

        def _backward(g, a=self, b=other):
            a.grad += g
            b.grad += g
        return _node(self.data + other.data, (self, other), "+", _backward)

    def __radd__(self, other):
        return _as_value(other, "+") + self

    def __sub__(self, other):
        if type(other) is not Value:
            other = _as_value(other, "-")

        def _backward(g, a=self, b=other):
            a.grad += g
            b.grad -= g
        return _node(self.data - other.data, (self, other), "-", _backward)

    def __rsub__(self, other):
        return _as_value(other, "-") - self

    def __mul__(self, other):
        if type(other) is not Value:
            other = _as_value(other, "*")
        x, y = self.data, other.data

        def _backward(g, a=self, b=other, x=x, y=y):
            a.grad += y * g
            b.grad += x * g
        return _node(x * y, (self, other), "*", _backward)

    def __rmul__(self, other):
        return _as_value(other, "*") * self

    def __truediv__(self, other):
        if type(other) is not Value:
            other = _as_value(other, "/")
        x, y = self.data, other.data
        if y == 0.0:
            raise ZeroDivisionError(f"/: division by zero ({x!r} / {y!r})")
        out = x / y

        def _backward(g, a=self, b=other, y=y, out=out):
            a.grad += g / y
            b.grad -= out / y * g  # -x/y^2, from the quotient already at hand
        return _node(out, (self, other), "/", _backward)

    def __rtruediv__(self, other):
        return _as_value(other, "/") / self

    def __neg__(self):
        def _backward(g, a=self):
            a.grad -= g
        return _node(-self.data, (self,), "neg", _backward)

    def __pow__(self, other):
        """``self ** other``: a number exponent k (kept as a constant leaf so pictures show it) or a Value."""
        x = self.data
        if isinstance(other, Value):
            y = other.data
            out = checked_pow(x, y)

            # log is an argument, as the numbers are, so that `compile` and `grad(create_graph=True)` can run
            # this rule on stand-ins (math.log would read a stand-in Value as a float, cutting it off the graph)
            def _backward(g, a=self, b=other, x=x, y=y, out=out, log=math.log):
                a.grad += (y * _power_of(x, y - 1.0) if y else 0.0) * g
                # ln x has no real value for x < 0 (y is then an integer); at x = 0 the limit is 0
                b.grad += (out * log(x) if x > 0.0 else 0.0 if x == 0.0 else math.nan) * g
            return _node(out, (self, other), "**", _backward)
        y = check_number(other, "**")  # the exponent k

        def _backward(g, a=self, x=x, y=y):
            a.grad += (y * _power_of(x, y - 1.0) if y else 0.0) * g
        return _node(checked_pow(x, y), (self, _constant(y)), "**", _backward)

    def __rpow__(self, other):
        return _as_value(other, "**") ** self

    # ---- elementwise functions --------------------------------------------------------------------------
    def exp(self):
        """e ** self. Raises OverflowError naming the value when the result exceeds the float range."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp: result out of float range for exp({self.data!r})") from None

        def _backward(g, a=self, out=out):
            a.grad += out * g
        return _node(out, (self,), "exp", _backward)

    def log(self):
        """Natural logarithm. Raises ValueError naming the value when it is <= 0."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log: argument must be > 0, got {x!r}")

        def _backward(g, a=self, x=x):
            a.grad += g / x
        return _node(math.log(x), (self,), "log", _backward)

    def sqrt(self):
        """Square root; its derivative at 0 is +inf, as in PyTorch. Raises ValueError for a value < 0."""
        x = self.data
        if x < 0.0:
            raise ValueError(f"sqrt: argument must be >= 0, got {x!r}")
        out = math.sqrt(x)

        def _backward(g, a=self, out=out):
            a.grad += (0.5 / out if out else math.inf) * g
        return _node(out, (self,), "sqrt", _backward)

    def tanh(self):
        """Hyperbolic tangent; saturates to exactly +-1.0 (derivative 0.0) without overflow."""
        out = math.tanh(self.data)

        def _backward(g, a=self, out=out):
            a.grad += (1.0 - out * out) * g
        return _node(out, (self,), "tanh", _backward)

    def sigmoid(self):
        """Logistic function 1 / (1 + e^-x), computed without overflow: sigmoid(-1000) = 0.0."""
        out = _sigmoid(self.data)  # the formula the compiled code runs too (formulas.sigmoid)

        def _backward(g, a=self, out=out):
            a.grad += out * (1.0 - out) * g
        return _node(out, (self,), "sigmoid", _backward)

    def relu(self):
        """max(0, x); the derivative at 0 is taken as 0, as in PyTorch. NaN propagates."""
        x = self.data

        def _backward(g, a=self, x=x):
            if x > 0.0:
                a.grad += g
        return _node(0.0 if x <= 0.0 else x, (self,), "relu", _backward)

    def __abs__(self):
        """|x|, differentiable: its derivative is the sign of x, 0 at 0 (and NaN at NaN), as in PyTorch."""
        x = self.data

        def _backward(g, a=self, x=x):
            a.grad += (1.0 if x > 0.0 else -1.0 if x < 0.0 else x * 0.0) * g  # x * 0: 0 at 0, NaN at NaN
        return _node(abs(x), (self,), "abs", _backward)

    # ---- fused n-ary nodes: one node where a chain of binary ops would make n ---------------------------
    @staticmethod
    def sum(values, start=0.0):
        """``start + values[0] + ... + values[n-1]`` as one node. `values`: an iterable of Values or numbers;
        `start`: a number or a Value. With nothing to add, returns a constant leaf equal to `start`. A start
        other than 0.0 is the node's last parent (a number as a constant leaf, as ``**`` keeps its
        exponent), so the graph records it: pictures show it and `compile` and `replay` read it."""
        vals = _values(values, "Value.sum")
        if isinstance(start, Value):
            vals.append(start)
        else:
            start = check_number(start, "Value.sum start")
            if not vals:
                return Value(start)
            if start != 0.0 or math.copysign(1.0, start) < 0.0:  # +0.0 changes no sum; NaN and -0.0 do
                vals.append(_constant(start))

        def _backward(g, vals=vals):
            for v in vals:
                v.grad += g
        return _node(sum([v.data for v in vals]), tuple(vals), "sum", _backward)

    @staticmethod
    def dot(weights, inputs, bias=None):
        """``bias + sum_i weights[i] * inputs[i]`` as one node: a neuron's pre-activation ``w . x + b``.

        `weights`, `inputs`: sequences of n Values or numbers; `bias`: a Value, a number or None. Parents:
        w_1..w_n, x_1..x_n, then the bias if given. Raises ValueError when the lengths differ."""
        ws, xs = _values(weights, "Value.dot weights"), _values(inputs, "Value.dot inputs")
        if len(ws) != len(xs):
            raise ValueError(f"Value.dot: {len(ws)} weights but {len(xs)} inputs")
        return _dot(ws, xs, None if bias is None else _as_value(bias, "Value.dot bias"))

    @staticmethod
    def logsumexp(values):
        """``log(sum_i exp(values[i]))`` as one node, computed as m + log(1 + sum_{i != k} exp(v_i - m)) with m =
        v_k the largest value, so no exponent exceeds 0. Raises ValueError for an empty sequence."""
        vals = _values(values, "Value.logsumexp")
        if not vals:
            raise ValueError("Value.logsumexp: needs at least one value")
        out, es, s = _logsumexp([v.data for v in vals])  # es_i = exp(v_i - m), s = sum(es): formulas.logsumexp

        def _backward(g, vals=vals, es=es, s=s):
            g = g / s
            for v, e in zip(vals, es):
                v.grad += e * g  # d/dv_i = exp(v_i - m) / s = softmax(values)_i
        return _node(out, tuple(vals), "logsumexp", _backward)

    # ---- backpropagation --------------------------------------------------------------------------------
    def backward(self, gradient=1.0):
        """Backpropagate from this node: ``grad`` of every node it depends on gains d(self)/d(node) x
        `gradient` (a number, default 1.0), at the values the graph was built with.

        Leaf gradients accumulate across calls until reset, as in PyTorch; an interior node's ``grad`` is
        this call's (reset first), so calling it again adds the same gradients to the leaves again. Raises
        TypeError when `gradient` is not an int or float, and under `detect_anomaly()` FloatingPointError when
        it is NaN or infinite."""
        seed = check_number(gradient, "backward gradient", "an int or float")
        checked = _OPEN[0] and _state.anomaly
        if checked and not math.isfinite(seed):
            raise FloatingPointError(f"detect_anomaly: backward gradient {seed!r} at {self!r}")
        if not self.parents:  # a leaf: d(self)/d(self) = 1
            self.grad += seed
            return
        order = _depth_first(self, False, True)  # interior nodes only, each grad reset to 0.0
        self.grad = seed
        if checked:
            return backward_checked(order)
        for node in reversed(order):
            node._backward(node.grad)

    def zero_grad(self):
        """Set ``grad`` to 0.0 on this node and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


# ---- building nodes ---------------------------------------------------------------------------------------
def _node(data, parents, op, backward):
    """The node an op returns: `data` computed from `parents` (a tuple) by `op`, with its closure."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if _OPEN[0]:  # some thread is inside no_grad() or detect_anomaly(); maybe this one
        if _state.anomaly and not math.isfinite(data):
            anomaly_in_forward(op, data, parents)
        if not _state.recording:  # a leaf, remembering nothing
            parents, op, backward = (), "", None
    out.parents = parents
    out.op = op
    out._backward = backward
    return out


def _constant(x):
    """A leaf holding the float `x` (already checked)."""
    out = _new(Value)
    out.data, out.grad, out.label, out.parents, out.op, out._backward = x, 0.0, None, (), "", None
    return out


def _as_value(x, op):
    """`x` itself when it is a Value, else a constant leaf holding the number `x`."""
    return x if isinstance(x, Value) else _constant(check_number(x, op))


def _number(x, op):
    """The float a comparison reads from `x`: its ``data`` when it is a Value."""
    return x.data if isinstance(x, Value) else check_number(x, op)


def _values(xs, op):
    """`xs` (an iterable of Values and numbers) as a new list of Values, numbers made constant leaves.
    Raises TypeError naming `op` for a single Value or number, a non-iterable, or a non-number item."""
    if isinstance(xs, (Value, int, float)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"{op}: expected a list of Values or numbers, got {type(xs).__name__} "
                        f"{short_repr(xs)}" + (" (wrap one in a list: [v])" if isinstance(xs, Value) else ""))
    return [x if type(x) is Value else _as_value(x, op) for x in xs]


def _dot(ws, xs, bias, xd=None):
    """`Value.dot` of two equally long lists of Values and a Value or None, unchecked. `xd`: the inputs'
    data, when the caller (a Layer, for all its neurons) has it already."""
    wd = [w.data for w in ws]
    if xd is None:
        xd = [x.data for x in xs]
    total = sum(map(_mul, wd, xd), 0.0)

    # x, y: the values of the weights and of the inputs (the naming convention of the module docstring)
    def _backward(g, ws=ws, xs=xs, x=wd, y=xd, bias=bias):
        for w, v, wv, xv in zip(ws, xs, x, y):
            w.grad += xv * g
            v.grad += wv * g
        if bias is not None:
            bias.grad += g
    if bias is None:
        return _node(total, (*ws, *xs), "dot", _backward)
    return _node(total + bias.data, (*ws, *xs, bias), "dot", _backward)


def _power_of(x, p):
    """x ** p inside a derivative, where the float power would raise: +-inf for 0 to a negative power
    (e.g. sqrt's slope at 0, as PyTorch gives) and past the float range."""
    try:
        return x ** p
    except ZeroDivisionError:
        return math.inf
    except OverflowError:  # negative only for x < 0 and an odd integer p
        return -math.inf if x < 0.0 and p % 2.0 == 1.0 else math.inf


# ---- the order of backpropagation ----------------------------------------------------------------------
def topological_order(root, leaves=True):
    """Every node `root` depends on, each once, parents before children, `root` last (a list).

    Deterministic: it depends only on the graph's structure and operand order. With ``leaves=False`` only
    computed nodes are listed. Iterative, so a graph of any depth works (a recursive sort fails near
    Python's recursion limit)."""
    return _depth_first(root, leaves, False)


def _depth_first(root, leaves, reset):
    """`topological_order`'s search; with `reset`, each computed node's grad is set to 0.0 as it is listed
    (while it is in the cache, rather than in a second pass), as backward() needs."""
    if not root.parents:
        return [root] if leaves else []
    order = []
    seen = {root}
    # `path` holds the nodes being explored and `todo` an iterator over each one's parents not yet looked at:
    # two lists rather than one of pairs, one object fewer per level for the garbage collector.
    path = [root]
    todo = [iter(root.parents)]
    while todo:
        for p in todo[-1]:  # resumes where this node's iterator stopped last time
            if p not in seen:
                seen.add(p)
                if p.parents:
                    path.append(p)
                    todo.append(iter(p.parents))
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
