"""One home per op: what every interpreter of a graph needs to know about an op, one row per op.

An op is defined in `engine`: its method computes the forward value and defines, right there, the backward
closure that states its local derivatives (the only place they are stated: `compile`, `autograd.grad`
and `explain` run that closure). `OPS` gives, for each op name (a node's ``op``), what else they need:

- ``scalar``: the forward as Python source on floats, operands ``{0}``, ``{1}`` (an n-ary op: ``{args}``,
  the operands joined by ", "); the generated code's helpers (``sigmoid``, ``power``...) are
  `compiler.runtime.NAMESPACE`. ``array``: the same forward on numpy arrays of a batch, one column per
  example's node (a reduction reads a (B, k) matrix ``{0}``, a dot ``{0}`` the weights, ``{1}`` the inputs).
- ``saved``: the forward numbers its closure keeps, by the engine's naming convention: ``x``, ``y`` the
  values of the first and second operand (for a dot: lists, the weights' and the inputs' values), ``out``
  the result; ``temporaries``, numbers of the forward computation that are no node's value (logsumexp's
  ``es``, ``s``). ``functions``: the functions the closure binds as arguments (``**`` binds ``log``).
- ``replay``: ``replay(parents, node)`` rebuilds the node from (new) parents with the public op.
- ``elementwise``: whether the op maps operands to a result one number at a time (the batched compiler
  applies it to whole columns); the others (sum, dot, logsumexp) are reductions.

Adding an op: its method in `engine`, with its closure, and one row here; tests/test_ops.py fails, naming the
op, when a closure keeps a number its row does not list (or under another name), when the row's forward
sources disagree with the engine's forward, or when an op of the engine has no row.
"""

from collections import namedtuple

from .engine import Value

__all__ = ["Op", "OPS", "saved_numbers"]

Op = namedtuple("Op", "name arity scalar array saved temporaries functions replay elementwise")


def _power(ps, node):
    exponent = node.parents[1]
    if not exponent.parents and exponent.label is None:  # how ``v ** 2`` keeps its number: a constant leaf
        return ps[0] ** ps[1].data
    return ps[0] ** ps[1]


def _dot(ps, node):
    n = len(ps) // 2  # parents: w_1..w_n, x_1..x_n, then the bias when their count is odd
    return Value.dot(ps[:n], ps[n:2 * n], ps[2 * n] if len(ps) % 2 else None)


def _row(name, arity, scalar, array, saved=(), temporaries=(), functions=(), replay=None, elementwise=True):
    return name, Op(name, arity, scalar, array, saved, temporaries, functions, replay, elementwise)


def _method(f):
    return lambda ps, node: f(*ps)


OPS = dict([
    _row("+", 2, "{0} + {1}", "{0} + {1}", replay=_method(Value.__add__)),
    _row("-", 2, "{0} - {1}", "{0} - {1}", replay=_method(Value.__sub__)),
    _row("*", 2, "{0} * {1}", "{0} * {1}", ("x", "y"), replay=_method(Value.__mul__)),
    _row("/", 2, "{0} / {1}", "{0} / {1}", ("y", "out"), replay=_method(Value.__truediv__)),
    _row("neg", 1, "-{0}", "-{0}", replay=_method(Value.__neg__)),
    # power() raises as the engine's forward does (0 ** negative, complex results); the numpy form does not
    # need to: a batch runs a graph the engine has built
    _row("**", 2, "power({0}, {1})", "{0} ** {1}", ("x", "y", "out"), functions=("log",), replay=_power),
    _row("exp", 1, "exp({0})", "exp({0})", ("out",), replay=_method(Value.exp)),
    _row("log", 1, "log({0})", "log({0})", ("x",), replay=_method(Value.log)),
    _row("sqrt", 1, "sqrt({0})", "sqrt({0})", ("out",), replay=_method(Value.sqrt)),
    _row("tanh", 1, "tanh({0})", "tanh({0})", ("out",), replay=_method(Value.tanh)),
    _row("sigmoid", 1, "sigmoid({0})", "sigmoid({0})", ("out",), replay=_method(Value.sigmoid)),
    _row("relu", 1, "0.0 if {0} <= 0.0 else {0}", "where({0} <= 0.0, 0.0, {0})", ("x",),
         replay=_method(Value.relu)),
    _row("abs", 1, "abs({0})", "absolute({0})", ("x",), replay=_method(Value.__abs__)),
    _row("sum", None, "sum(({args},), 0.0)", "rowsum({0})", replay=lambda ps, node: Value.sum(ps),
         elementwise=False),
    _row("dot", None, "sum(({products},), 0.0)", "rowsum({0} * {1})", ("x", "y"), replay=_dot, elementwise=False),
    _row("logsumexp", None, "logsumexp(({args},))", "logsumexp_rows({0})", temporaries=("es", "s"),
         replay=lambda ps, node: Value.logsumexp(ps), elementwise=False),
])


def saved_numbers(node):
    """{closure argument name: what it is} for the forward numbers `node`'s closure keeps, from its row:
    a node (its value), a list of nodes (their values), or ``(temporary name, node)`` for a number of the
    forward computation that is no node's value. Raises KeyError for an op without a row."""
    row = OPS[node.op]
    ps = node.parents
    if row.arity is None:  # a dot: x the weights, y the inputs (its parents are w_1..w_n, x_1..x_n[, bias])
        n = len(ps) // 2
        operands = {"x": list(ps[:n]), "y": list(ps[n:2 * n])}
    else:
        operands = dict(zip("xy", ps))
    meaning = {}
    for name in row.saved:
        meaning[name] = node if name == "out" else operands[name]
    for name in row.temporaries:
        meaning[name] = (name, node)
    return meaning
