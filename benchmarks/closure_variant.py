"""Two per-node-closure variants of micrograd_lite's ``+`` and ``*``, to measure the engine's design
choice of one shared backward function per op (engine.py's module docstring) against the alternative.

Both keep everything else of micrograd_lite's design: ``__slots__``, a parents tuple, no reference from a
parent or a function back to the node (so no cycles), nodes built by the same kind of `_result` call, the
same search and the same ``node._backward(node)`` loop. The only difference is what ``_backward`` is:

- `DefaultArgValue`: a new function per node with its parents bound as default arguments
  (``def _backward(node, a=self, b=other)``): one function object and one defaults tuple per node.
- `CellValue`: a new closure per node reading its parents from cells (``def _backward(node)`` using
  ``self`` and ``other``): one function, one closure tuple and two cells per node.

Only ``+`` and ``*`` of two Values of the same variant are implemented: enough for
`workloads.ADD_MUL_STAGES`.
"""

from micrograd_lite import engine

_new = object.__new__


def _result(cls, data, prev, op, backward):
    """As engine._result on its common path (the same call, the same stores), for class `cls`."""
    out = _new(cls)
    out.data = data
    out.grad = 0.0
    out.label = None
    if engine._plain:
        out._prev = prev
        out._op = op
        out._backward = backward
        return out
    raise NotImplementedError("the closure variants do not implement no_grad or detect_anomaly")


class _ClosureBase:
    __slots__ = ("data", "grad", "label", "_prev", "_op", "_backward")

    def __init__(self, data):
        self.data = float(data)
        self.grad = 0.0
        self.label = None
        self._prev = ()
        self._op = ""
        self._backward = None

    def backward(self):
        """As micrograd_lite's `Value.backward` with a seed of 1.0 (the same search and loop)."""
        order = engine._depth_first(self, False, True)
        self.grad = 1.0
        for node in reversed(order):
            node._backward(node)


class DefaultArgValue(_ClosureBase):
    """``+`` and ``*`` with a per-node function whose parents are default arguments."""

    __slots__ = ()

    def __add__(self, other):
        if type(other) is not DefaultArgValue:
            return NotImplemented

        def _backward(node, a=self, b=other):
            g = node.grad
            a.grad += g
            b.grad += g
        return _result(DefaultArgValue, self.data + other.data, (self, other), "+", _backward)

    def __mul__(self, other):
        if type(other) is not DefaultArgValue:
            return NotImplemented

        def _backward(node, a=self, b=other):
            g = node.grad
            a.grad += b.data * g
            b.grad += a.data * g
        return _result(DefaultArgValue, self.data * other.data, (self, other), "*", _backward)


class CellValue(_ClosureBase):
    """``+`` and ``*`` with a per-node closure that reads its parents from cells."""

    __slots__ = ()

    def __add__(self, other):
        if type(other) is not CellValue:
            return NotImplemented

        def _backward(node):
            g = node.grad
            self.grad += g
            other.grad += g
        return _result(CellValue, self.data + other.data, (self, other), "+", _backward)

    def __mul__(self, other):
        if type(other) is not CellValue:
            return NotImplemented

        def _backward(node):
            g = node.grad
            self.grad += other.data * g
            other.grad += self.data * g
        return _result(CellValue, self.data * other.data, (self, other), "*", _backward)
