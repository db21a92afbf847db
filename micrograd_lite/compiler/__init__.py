"""`compile`: a function's forward and backward pass as straight-line Python, run on floats.

``step = compile(fn, *example_args)`` traces ``fn`` on the example (`trace`), writes Python source with one
statement per op forward and one per chain-rule term backward (`codegen`), and compiles it. The backward
statements are the engine's own backward closures run on symbolic stand-ins (`rules`), once per op
signature, their terms then filled with each node's names: no derivative is written here a second time.
A batch of repeated per-example parts is written once per shape and run in a loop (`repeat`), with the same
numbers.
"""

import builtins

from ..checks import short_repr
from ..engine import Value, topological_order
from .batched import BatchedStep, ParameterVector, compile_batched
from .codegen import generate, needs_grad
from .names import grad_name
from .rules import CompileError
from .runtime import NAMESPACE
from .trace import OP, Trace, first_difference, flatten, rebuild, trace

__all__ = ["compile", "CompileError", "Step", "BatchedStep", "ParameterVector", "Trace", "trace"]


def compile(fn, *example_args, check=False, batch=False, reduction="mean", backend="numpy"):
    """Compile ``fn(*args) -> loss`` into a `Step`: the loss and its gradients without building a graph.

    `fn` takes the arguments, each a number or a (nested) list of numbers, as Values (lists of Values) and
    returns one Value, the loss. Leaves it reaches that exist before the call (e.g. a model's weights it
    closes over) are the *parameters*; leaves it creates at each call (``0.5 * x``'s 0.5) are constants,
    written into the code. `fn` is called twice on `example_args` to tell them apart (see `trace`).

    ``step(*args)`` (same structure as `example_args`) returns the loss (a float) and adds to each parameter's
    ``.grad`` exactly what ``fn(*args).backward()`` would (the same floats, in the same order), reading the
    parameters' current ``.data`` at each call, so an optimizer's ``step()`` works unchanged.
    ``step.forward(*args)`` returns the loss only. ``step.source`` is the generated Python.

    **The graph must be static**: the step is valid only for arguments on which `fn` builds the same graph
    as on the example (same ops, same operands, same constants). Branches *inside* an op (relu, abs) are
    compiled; branches in `fn` on ``.data`` (``if x.data > 0``), or constants computed from data (the
    largest logit ``cross_entropy`` subtracts), are frozen at their traced value. With ``check=True`` every
    call also builds the graph with the engine and raises CompileError naming the first node whose
    structure, value or gradient differs (the parameters' ``.grad`` is left as it was); slower than the
    engine alone, for debugging.

    Raises CompileError when an argument is not a number or a list of numbers, `fn` does not return a
    non-leaf Value, two calls on the same arguments build different graphs, an op is unknown to the
    compiler, or the graph has no parameter; and from ``step(...)``, when the arguments' structure differs
    from the example's. Errors raised by `fn` itself (while tracing) propagate.

    **Batched** (``batch=True``, needs numpy: ``pip install micrograd_lite[fast]``): `example_args` is *one*
    example's arguments; the returned `BatchedStep` takes a batch, either one array per argument with a
    leading batch dimension B (argument i of shape (B, *shape of example_args[i])) or one sequence of B
    argument tuples, runs the traced graph once over the whole batch (every node a length-B vector, dots of
    one input list one matrix product; see `batched`), returns the mean (``reduction='sum'``: the sum) of
    the B losses as a float and adds to each parameter's ``.grad`` the gradient of that mean (sum): what
    building the B graphs and calling ``backward()`` on their mean adds, to rounding (to 1e-12 in the
    tests), also where nodes do not depend on the example (a weight penalty: computed once, its gradient
    summed over the batch). The graph must not depend on the example: an index that selects nodes (an
    embedding row, a cross-entropy target) must be passed as a one-hot input, e.g. ``Value.dot(column,
    one_hot)``. Raises CompileError as above, when numpy is missing, and from ``step(...)`` when an
    argument's shape is not (B, *its example's shape) or it holds anything but real numbers (None, complex
    numbers, strings, ragged lists), when the batch is empty or there are no arguments, naming the
    argument. ``step.params`` lists the parameters in the order of the step's parameter vector (each dot
    group's weights row after row, so the code reads a layer's matrix as a view of a slice).
    ``step.loss_and_grad(p, *batch)`` runs at a vector `p` of parameter values; ``v =
    step.parameter_vector()`` is a `ParameterVector` (``.data``, ``.grad``) for ``step(*batch, vector=v)`` and
    an optimizer over ``[v]`` (`SGD`, `Adam`, `AdamW`): training with no per-parameter Python, the Values
    unchanged until ``v.write_back()``. ``backend='torch'`` runs the same source on PyTorch float64 tensors
    (on the GPU when one is present; ``pip install micrograd_lite[torch]``, CompileError naming it without
    torch)."""
    if batch:
        if check:
            raise CompileError("compile: check=True is for the scalar step (batch=False)")
        return compile_batched(fn, example_args, reduction, backend)
    t = trace(fn, example_args)
    source = generate(t)
    namespace = dict(NAMESPACE)
    exec(builtins.compile(source, f"<micrograd_lite.compile of {getattr(fn, '__name__', 'fn')}>", "exec"),
         namespace)
    return Step(t, source, namespace["forward"], namespace["step"], fn if check else None)


class Step:
    """A compiled step (see `compile`): call it as ``step(*args)``; ``step.forward(*args)``; ``step.source``
    (str); ``step.params`` (the parameters, a list of Values, in the order the source's ``P[i]`` uses);
    ``step.trace`` (the `Trace`)."""

    def __init__(self, trace, source, forward, step, check_fn=None):
        self.trace, self.source, self.params = trace, source, trace.params
        self._forward, self._step, self._check_fn = forward, step, check_fn
        self._step_locals = None  # check=True: the step returning its variables, generated at first use

    def __repr__(self):
        ops = sum(1 for k in self.trace.kind.values() if k == OP)
        return (f"Step({ops} ops, {len(self.params)} parameters, {len(self.trace.inputs)} inputs, "
                f"{self.source.count(chr(10))} lines of source)")

    def _inputs(self, args, where):
        structure, numbers = flatten(args, where)
        if structure != self.trace.structure:
            raise CompileError(f"{where}: the arguments' structure {_shape(structure)} differs from the "
                               f"example's {_shape(self.trace.structure)}; compile again for this structure")
        return numbers

    def forward(self, *args):
        """The loss at `args` (a float); no gradient is computed. Raises CompileError as ``step(*args)``."""
        return self._forward(self.params, self._inputs(args, "step.forward"))

    def __call__(self, *args):
        xs = self._inputs(args, "step")
        if self._check_fn is not None:
            return self._checked(args, xs)
        return self._step(self.params, xs)

    def _checked(self, args, xs):
        """``check=True``: run the engine and the compiled code, compare every node, raise at the first
        difference."""
        t = self.trace
        saved = [p.grad for p in self.params]
        inputs = [Value(x) for x in xs]
        root = self._check_fn(*rebuild(t.structure, iter(inputs)))
        if not isinstance(root, Value):
            raise CompileError(f"step (check=True): fn returned {type(root).__name__} {short_repr(root)}")
        order = topological_order(root)
        first_difference(t.order, order, "step (check=True): the example and these arguments",
                         {v: i for i, v in enumerate(t.inputs)}, {v: i for i, v in enumerate(inputs)})
        try:
            root.backward()
            engine = [(n.data, n.grad) for n in order]
        finally:
            for p, g in zip(self.params, saved):
                p.grad = g
        compiled = self._locals(xs)
        needed = needs_grad(t)
        for i, (n, (data, grad)) in enumerate(zip(t.order, engine)):
            name = t.names[n]
            if t.kind[n] == OP and not _close(compiled[name], data):
                self._restore(saved)
                raise CompileError(f"step (check=True): node #{i} {name} ({n.op}) is {compiled[name]!r} "
                                   f"compiled but {data!r} by the engine")
            if n in needed and not _close(compiled[grad_name(name)], grad):
                self._restore(saved)
                raise CompileError(f"step (check=True): the gradient of node #{i} {name} is "
                                   f"{compiled[grad_name(name)]!r} compiled but {grad!r} by the engine")
        return compiled[t.names[t.root]]

    def _locals(self, xs):
        """Run the step, returning its local variables (each node's value and gradient by name)."""
        if self._step_locals is None:
            namespace = dict(NAMESPACE)
            exec(builtins.compile(generate(self.trace, return_locals=True), "<micrograd_lite.compile check>",
                                  "exec"), namespace)
            self._step_locals = namespace["step"]
        return self._step_locals(self.params, xs)

    def _restore(self, saved):
        for p, g in zip(self.params, saved):
            p.grad = g


def _close(a, b):
    return a == b or (a != a and b != b) or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def _shape(structure):
    def show(s):
        return "x" if s is None else "[" + ", ".join(show(x) for x in s) + "]"
    return "(" + ", ".join(show(s) for s in structure) + ")"
