"""`trace_backward`: the backward pass from a root, step by step, as data (`BackwardTrace`).

What the backward page (`viz.backward_page`) and ``demos/mazur.py --trace`` show: for each closure run of
``backward()``, the upstream gradient, each parent's local derivative (`paths.local_derivatives`, read off the
op's own closure), the contribution and the parent's running gradient.
"""

from collections import namedtuple

from ..engine import Value, topological_order
from .naming import denominator, display_name
from .paths import backpropagate, local_derivatives

__all__ = ["trace_backward", "BackwardTrace", "TraceStep", "TraceEdge"]


# ---- the backward pass, step by step ------------------------------------------------------------------------
class TraceStep(namedtuple("TraceStep", "node name op upstream edges")):
    """One closure run of ``backward()``: `node` (the Value), its printed `name`, its `op`, the `upstream`
    gradient d root/d node when its closure runs, and `edges`, a list of `TraceEdge`, one per distinct parent."""

    __slots__ = ()


class TraceEdge(namedtuple("TraceEdge", "parent name local contribution running")):
    """One parent of a step: the `parent` Value, its printed `name`, the `local` derivative d node/d parent
    (from `local_derivatives`), the `contribution` upstream x local, and the parent's `running` gradient after it."""

    __slots__ = ()


class BackwardTrace:
    """The result of `trace_backward`: ``root``, ``steps`` (a list of `TraceStep`, in the order ``backward()``
    runs the closures), ``grads`` ({node: d root/d node}, the last running gradients) and ``names`` (node ->
    printed name). Iterating gives the steps; ``str(trace)`` prints them in the notes' notation."""

    __slots__ = ("root", "steps", "grads", "names", "constants")

    def __init__(self, root, steps, grads, names, constants=frozenset()):
        self.root, self.steps, self.grads, self.names = root, steps, grads, names
        self.constants = constants  # the leaves printed as numbers, with no gradient line

    def __iter__(self):
        return iter(self.steps)

    def __len__(self):
        return len(self.steps)

    def __repr__(self):
        return f"BackwardTrace({len(self.steps)} steps, root={self.names[self.root]!r})"

    def format(self, decimals=6, width=None):
        """One block per step (`format_step`), numbered from 1; `width` as `format_step`."""
        return "\n".join(f"{i}. {self.format_step(s, decimals, width and width - len(str(i)) - 2)}"
                         for i, s in enumerate(self.steps, 1))

    def format_step(self, step, decimals=6, width=None, significant=None):
        """One step (a `TraceStep` of this trace) as a str: the node, its op and upstream gradient, then one line
        per parent, ``∂root/∂parent += ∂root/∂node × ∂node/∂parent = upstream × local = contribution  → running``.
        A constant parent (an unlabelled leaf: a number) gets no line: it has no gradient to ask about.
        `width`: wrap each parent's line at ``=`` signs to lines of at most that many characters (None: no
        wrapping); continuation lines are indented under the first. `significant`: print numbers with that
        many significant digits (``.4g``, as `viz` pictures do) instead of `decimals` places."""
        spec = f".{decimals}f" if significant is None else f".{significant}g"
        num = lambda x: format(x, spec) if x >= 0 else f"({format(x, spec)})"
        r, s = self.names[self.root], step
        d = lambda node: denominator(node, self.names[node])
        parents = ", ".join(e.name for e in s.edges)
        lines = _wrap([("", f"{s.name} = {s.op}({parents}):"), ("  ", f"∂{r}/∂{d(s.node)} = {num(s.upstream)}")],
                      width, "", "     ")
        for e in s.edges:
            if e.parent in self.constants:
                continue
            parts = [("", f"∂{r}/∂{d(e.parent)} += ∂{r}/∂{d(s.node)}"), (" × ", f"∂{d(s.node)}/∂{d(e.parent)}"),
                     (" = ", f"{num(s.upstream)} × {num(e.local)}"),
                     (" = ", f"{num(e.contribution)}  → {num(e.running)}")]
            lines += _wrap(parts, width, "     ", "         ")
        return "\n".join(lines)

    __str__ = format



def _wrap(parts, width, indent, more):
    """`parts` (``(separator, text)`` pairs, the first separator empty) joined on one line after `indent`, or,
    with a `width`, on lines of at most `width` characters where they can be: a part that does not fit
    starts a new line, indented by `more`, with its separator (a long name can still overflow)."""
    line = indent + parts[0][1]
    lines = []
    for sep, text in parts[1:]:
        if width is None or len(line) + len(sep) + len(text) <= width:
            line += sep + text
        else:
            lines.append(line)
            line = more + (sep.strip() + " " if sep.strip() else "") + text
    return lines + [line]



def trace_backward(root, params=None):
    """The backward pass from `root`, step by step, as data: a `BackwardTrace`.

    For each interior node in the order ``backward()`` runs its closure (reverse topological order), the op,
    the upstream gradient, and for each distinct parent the local derivative (`local_derivatives`, read from
    the op's own backward function), the contribution (upstream x local) and the parent's running gradient.
    Every running gradient starts at 0 (as after ``zero_grad()``) and d root/d root = 1, so the last running
    gradients (``trace.grads``) are what one ``root.backward()`` on zeroed grads gives. The graph's grads are
    left as they were. Nodes are named by `naming.display_name`; an unlabelled leaf is a
    constant (printed as its number, with no gradient line in `format_step`) unless it is in `params` (an
    iterable of Values, e.g. ``model.parameters()``): then it is ``[parameter, data 0.3]``. Raises TypeError
    when `root` is not a Value."""
    if not isinstance(root, Value):
        raise TypeError(f"trace_backward: root must be a Value, got {type(root).__name__} {root!r}")
    order = topological_order(root)
    names = {node: display_name(node) for node in order}
    chosen = set(params or ())
    constants = frozenset(n for n in order if not n.parents and n.label is None and n not in chosen)
    for node in chosen & set(order):
        if not node.parents and node.label is None:  # a parameter, not a number: say so
            names[node] = f"[parameter, data {node.data:.4g}]"
    steps = []

    def record(node, upstream, edges):
        steps.append(TraceStep(node, names[node], node.op, upstream,
                               [TraceEdge(p, names[p], d, c, running) for p, d, c, running in edges]))

    local = {node: local_derivatives(node) for node in order if node.parents}
    grads = backpropagate(order, root, local, on_node=record)  # every node of the graph is below the root
    return BackwardTrace(root, steps, grads, names, constants)
