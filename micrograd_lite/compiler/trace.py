"""Tracing: run a function on example arguments and record its graph as a `Trace`.

Parameters are told from constants by tracing twice: a leaf that is the *same object* in both graphs was
made before the call (a model's weight the function closes over): a parameter. A leaf made afresh at each
call (``0.5 * x`` makes a leaf 0.5) is a constant, whose value is then part of the compiled code; it must be
the same in both traces, or the function makes numbers that change from call to call.
"""

import math
from numbers import Real

from ..checks import short_repr
from ..engine import Value, topological_order
from .names import assign_names
from .rules import KNOWN_OPS, CompileError

__all__ = ["Trace", "trace", "flatten"]

INPUT, PARAMETER, CONSTANT, OP = "input", "parameter", "constant", "op"
_OP_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}


class Trace:
    """The graph of one call of a function, ready for code generation.

    Fields: ``root`` (the output Value); ``order`` (every node, parents first, root last: a list);
    ``kind`` (node -> ``'input'``, ``'parameter'``, ``'constant'`` or ``'op'``); ``params`` (the
    parameters, in graph order: a list); ``inputs`` (the input Values, one per number of the arguments, in
    the order `flatten` lists them: a list; an input the function does not use is still listed);
    ``structure`` (the arguments' nesting, see `flatten`); ``names`` (node -> a Python identifier, from its
    label where it has one: ``w5``, ``out_h1``; else from its op and position: ``tanh12``; see `names`)."""

    def __init__(self, root, order, kind, inputs, structure):
        self.root, self.order, self.kind, self.inputs, self.structure = root, order, kind, inputs, structure
        self.params = [n for n in order if kind[n] == PARAMETER]
        self.names = _names(order, kind, inputs)


def flatten(args, where="compile"):
    """(structure, numbers) of `args`: numbers (int or float, not bool) or nested lists/tuples of them.
    `structure` is None for a number and a tuple of the items' structures for a list or tuple; `numbers` are
    the floats in depth-first order. Raises CompileError naming the argument's position for anything else."""
    numbers = []

    def walk(x, path):
        if isinstance(x, Real) and not isinstance(x, bool):
            numbers.append(float(x))
            return None
        if isinstance(x, (list, tuple)):
            return tuple(walk(item, path + [i]) for i, item in enumerate(x))
        at = "".join(f"[{i}]" for i in path[1:])
        hint = " (pass its .data)" if isinstance(x, Value) else ""
        raise CompileError(f"{where}: argument {path[0]}{at} must be a number or a list of numbers, got "
                           f"{type(x).__name__} {short_repr(x)}{hint}")
    structure = tuple(walk(a, [i]) for i, a in enumerate(args))
    return structure, numbers


def rebuild(structure, items):
    """`items` (an iterator) laid out as `structure`: the inverse of `flatten` (a list of arguments)."""
    def build(s):
        return next(items) if s is None else [build(x) for x in s]
    return [build(s) for s in structure]


def _call(fn, structure, numbers):
    inputs = [Value(x) for x in numbers]
    root = fn(*rebuild(structure, iter(inputs)))
    if not isinstance(root, Value):
        raise CompileError(f"compile: fn must return one Value (the loss), got {type(root).__name__} "
                           f"{short_repr(root)}")
    if not root.parents:
        raise CompileError("compile: fn returned a leaf, so there is nothing to differentiate (was the graph "
                           "built under no_grad()?)")
    return inputs, root


def trace(fn, args):
    """Trace ``fn(*args)`` twice and return the `Trace` of the first call.

    Raises CompileError when an argument is not a number or list of numbers, fn does not return a graph, the
    two calls build different graphs or constants, an op is unknown to the compiler, or there is no
    parameter; errors raised by fn itself propagate."""
    if not callable(fn):
        raise CompileError(f"compile: fn must be callable, got {type(fn).__name__} {short_repr(fn)}")
    structure, numbers = flatten(args)
    inputs, root = _call(fn, structure, numbers)
    inputs2, root2 = _call(fn, structure, numbers)
    order, order2 = topological_order(root), topological_order(root2)
    mine, mine2 = {v: i for i, v in enumerate(inputs)}, {v: i for i, v in enumerate(inputs2)}
    first_difference(order, order2, "compile: two calls of fn on the same arguments", mine, mine2)
    kind = {}
    for n, m in zip(order, order2):
        if n.parents:
            if n.op not in KNOWN_OPS:
                raise CompileError(f"compile: op {n.op!r} (node {describe(n, order)}) is not one the compiler "
                                   f"knows ({', '.join(sorted(KNOWN_OPS))})")
            kind[n] = OP
        elif n is m:
            kind[n] = PARAMETER
        elif n in mine:
            kind[n] = INPUT
        else:
            kind[n] = CONSTANT
    if not any(k == PARAMETER for k in kind.values()):
        raise CompileError("compile: the graph has no parameters (leaves made before fn was called, e.g. a "
                           "model's weights); there is nothing for the compiled step to train")
    return Trace(root, order, kind, inputs, structure)


def first_difference(order, other, what, inputs=None, other_inputs=None):
    """Raise CompileError naming the first node where graph `other` differs from `order` (both in
    topological order): op, operands, a constant's value, or which input a leaf is."""
    index = {n: i for i, n in enumerate(order)}
    index_other = {n: i for i, n in enumerate(other)}
    for i, (n, m) in enumerate(zip(order, other)):
        same = n.op == m.op and len(n.parents) == len(m.parents) and all(
            index[p] == index_other[q] for p, q in zip(n.parents, m.parents))
        if same and not n.parents and n is not m:
            a = inputs.get(n) if inputs else None
            b = other_inputs.get(m) if other_inputs else None
            same = a == b and (a is not None or n.data == m.data or (math.isnan(n.data) and math.isnan(m.data)))
        if not same:
            raise CompileError(f"{what} built different graphs: node {i} is {_show(n, order, index)} in one and "
                               f"{_show(m, other, index_other)} in the other (the compiled step is valid only "
                               f"for a function that builds the same graph each time)")
    if len(order) != len(other):
        i = min(len(order), len(other))
        longer, where = (order, index) if len(order) > i else (other, index_other)
        raise CompileError(f"{what} built different graphs: {len(order)} nodes against {len(other)}; the "
                           f"first {i} agree, then node {i} is {_show(longer[i], longer, where)} in one only")


def describe(node, order):
    """``#12 (label 'out_h1')`` or ``#12``: a node by its position in `order` (topological)."""
    i = order.index(node)
    return f"#{i}" + (f" (label {node.label!r})" if node.label is not None else "")


def _show(n, order, index):
    label = f" label {n.label!r}" if n.label is not None else ""
    if not n.parents:
        return f"a leaf{label} holding {n.data!r}"
    return f"{n.op}{label} of nodes {', '.join(str(index[p]) for p in n.parents)}"


def _names(order, kind, inputs):
    position = {v: i for i, v in enumerate(inputs)}
    index = {n: i for i, n in enumerate(order)}

    def fallback(n):
        if kind[n] == INPUT:
            return f"x{position[n]}"
        if kind[n] == PARAMETER:
            return f"p{index[n]}"
        return f"{_OP_NAMES.get(n.op, n.op or 'c')}{index[n]}"
    return assign_names(order, fallback)
