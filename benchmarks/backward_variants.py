"""Two other ways to attach a node's backward step, on the engine's ``+`` and ``*``, for `benchmarks.run`.

`CellValue`: the closure's operands kept in cells instead of default arguments.

engine.py binds what a backward closure keeps as default arguments (``def _backward(g, a=self, b=other)``):
one defaults tuple per node. The micrograd way reads them from the enclosing op's variables, which Python
keeps in cells: one closure tuple and one cell per captured name, each a separate object for the garbage
collector. `CellValue` is the engine's ``+`` and ``*`` written that way, with everything else the same
(``__slots__``, the parents tuple, the forward numbers kept, the same search and the same
``node._backward(node.grad)`` loop), so `benchmarks.run` can measure the choice. Only ``+`` and ``*`` of two
CellValues are implemented: enough for `workloads.ADD_MUL_STAGES`.

`SharedFunctionValue`: the engine before issue 11 (commit 027cfd3), reduced to its mechanism: no closure per
node; each op attaches one module-level backward function, called with the node (``node._backward(node)``),
which reads the operands from ``node.parents`` and the forward numbers from their ``data``. The whole engine
of that design is no longer kept: this variant times the one mechanism it differed by, on the same graph,
and the training-step comparison measured with the whole engine is kept with its commit in the docs'
performance page.
"""

from micrograd_lite import engine

_new = object.__new__


class _Leaf:
    """What both variants share with the engine's `Value`: the same slots, a leaf made the same way."""

    __slots__ = ("data", "grad", "label", "parents", "op", "_backward")

    def __init__(self, data):
        self.data = float(data)
        self.grad = 0.0
        self.label = None
        self.parents = ()
        self.op = ""
        self._backward = None


class CellValue(_Leaf):
    """``+`` and ``*`` with a per-node closure reading its operands and numbers from cells."""

    __slots__ = ()

    def __add__(self, other):
        def _backward(g):
            self.grad += g
            other.grad += g
        return _node(self.data + other.data, (self, other), "+", _backward)

    def __mul__(self, other):
        x, y = self.data, other.data

        def _backward(g):
            self.grad += y * g
            other.grad += x * g
        return _node(x * y, (self, other), "*", _backward)

    def backward(self):
        """As micrograd_lite's `Value.backward` with a seed of 1.0 (the same search and loop)."""
        order = engine._depth_first(self, False, True)
        self.grad = 1.0
        for node in reversed(order):
            node._backward(node.grad)


def _node_maker(cls):
    """The node constructor of variant `cls`: as engine._node on its common path (the same stores)."""
    def node(data, parents, op, backward):
        out = _new(cls)
        out.data = data
        out.grad = 0.0
        out.label = None
        out.parents = parents
        out.op = op
        out._backward = backward
        return out
    return node


_node = _node_maker(CellValue)


class SharedFunctionValue(_Leaf):
    """``+`` and ``*`` with one shared backward function per op (`_add_backward`, `_mul_backward`)."""

    __slots__ = ()

    def __add__(self, other):
        return _shared_node(self.data + other.data, (self, other), "+", _add_backward)

    def __mul__(self, other):
        return _shared_node(self.data * other.data, (self, other), "*", _mul_backward)

    def backward(self):
        """As micrograd_lite's `Value.backward` with a seed of 1.0 (the same search; the node is passed)."""
        order = engine._depth_first(self, False, True)
        self.grad = 1.0
        for node in reversed(order):
            node._backward(node)


def _add_backward(node):
    a, b = node.parents
    a.grad += node.grad
    b.grad += node.grad


def _mul_backward(node):
    a, b = node.parents
    a.grad += b.data * node.grad
    b.grad += a.data * node.grad


_shared_node = _node_maker(SharedFunctionValue)
