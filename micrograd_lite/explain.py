"""The chain rule, path by path: why ``leaf.grad`` is what it is.

For a root (e.g. a loss) and a node it depends on (e.g. a weight), `chain_rule` lists every path from the
root down to that node, the local derivative of each edge on it, and the product along it. The products
add up to the gradient (multivariable chain rule: d root/d leaf = sum over paths of the product of the
local derivatives on the path), and that sum is checked against the engine's own ``backward()``.

Local derivatives are never restated here: `local_derivatives` reads them off each op's backward closure
(called with an upstream gradient of 1 on zeroed parents), so a breakdown cannot disagree with ``backward()``.

Notation as in the seed notes (M. Mazur, "A Step by Step Backpropagation Example", 2015):
``∂E_total/∂w5 = ∂E_total/∂out_o1 × ∂out_o1/∂net_o1 × ∂net_o1/∂w5 = 0.741365 × 0.186816 × 0.593270 = 0.082167``.
"""

import heapq
import math
from collections import namedtuple

from .engine import Value, topological_order
from .naming import display_name

__all__ = ["local_derivatives", "on_paths", "chain_rule", "backward_source", "Path", "Breakdown", "TooManyPathsError",
           "ChainRuleError", "trace_backward", "BackwardTrace", "TraceStep", "TraceEdge", "check", "CheckReport",
           "CheckResult", "Cause", "claim_value"]

MAX_PATHS = 100  # default cap on listed paths: past it a listing stops being an explanation


class TooManyPathsError(ValueError):
    """More paths than `max_paths`; raised before any path is listed (they are counted, not enumerated)."""


class ChainRuleError(RuntimeError):
    """The paths' products do not add up to the gradient ``backward()`` computes: an op whose backward
    function is not linear in the upstream gradient, i.e. a broken op."""


def local_derivatives(node):
    """``[(parent, d node / d parent), ...]`` for each distinct parent of `node`, in operand order (a list;
    empty for a leaf).

    Read from the op's own backward closure: the parents' grads are saved and set to 0, the closure runs with an
    upstream gradient of 1, the parents' grads are read, and they are restored (also on error). A parent that
    appears several times among the operands (``a * a``, ``Value.dot([w], [w])``) is ONE edge whose derivative is
    the total, e.g. d(a*a)/da = 2a: the backward closure adds both contributions to the same ``grad``, and the
    paths below treat nodes, not operand slots, as the steps of the chain."""
    parents = list(dict.fromkeys(node.parents))  # distinct, in operand order (Values hash by identity)
    if not parents:
        return []
    saved = [p.grad for p in parents]
    try:
        for p in parents:
            p.grad = 0.0
        node._backward(1.0)
        return [(p, p.grad) for p in parents]
    finally:
        for p, g in zip(parents, saved):
            p.grad = g


def on_paths(order, sources):
    """The Values on some path from one of `sources` up to the root: a set holding the sources and every
    node of `order` computed, directly or not, from one of them.

    `order`: a root's graph in topological order (`topological_order(root)`); `sources`: Values of it."""
    marked = set(sources)
    for node in order:  # parents come first, so one pass sees every dependency
        if any(p in marked for p in node.parents):
            marked.add(node)
    return marked


class Path:
    """One path of the chain rule, from the root down to the leaf.

    ``nodes``: tuple of n + 1 Values, ``nodes[0]`` the root and ``nodes[-1]`` the leaf; ``factors``: tuple
    of n floats, ``factors[i]`` = ∂nodes[i]/∂nodes[i+1] (through any collapsed nodes between them);
    ``product``: their product (1.0 for the empty path from a node to itself)."""

    __slots__ = ("nodes", "factors", "product")

    def __init__(self, nodes, factors):
        self.nodes = tuple(nodes)
        self.factors = tuple(factors)
        self.product = math.prod(self.factors)

    def __repr__(self):
        return f"Path({len(self.factors)} factors, product={self.product!r})"


class Breakdown:
    """The result of `chain_rule`: ``root``, ``leaf``, ``paths`` (a tuple of `Path`), ``gradient`` (d root /
    d leaf by the engine's ``backward()``, equal to the sum of the paths' products) and ``names`` (node ->
    the name printed for it). ``str(b)`` is `format_breakdown(b)`."""

    __slots__ = ("root", "leaf", "paths", "gradient", "names")

    def __init__(self, root, leaf, paths, gradient, names):
        self.root, self.leaf, self.paths, self.gradient, self.names = root, leaf, tuple(paths), gradient, names

    def total(self):
        """The sum of the paths' products (a float)."""
        return math.fsum(p.product for p in self.paths)

    def format(self, decimals=6):
        return format_breakdown(self, decimals)

    __str__ = format

    def __repr__(self):
        return f"Breakdown({len(self.paths)} paths, gradient={self.gradient!r})"


def chain_rule(root, leaf, *, through="labelled", max_paths=MAX_PATHS):
    """Every path from `root` down to `leaf` with its factors; returns a `Breakdown`.

    `root`: a Value; `leaf`: any Value `root` depends on (a parameter, an input or an intermediate node).
    `through` picks the nodes the chain stops at, i.e. the variables that appear in the factors:
      - ``'labelled'`` (default): the nodes with a label (plus root and leaf). Unlabelled nodes between two
        of them are collapsed: the factor ∂A/∂B is then the derivative through them, summed over their
        sub-paths. Use labels to say which variables you want to see. When no labelled node lies between
        root and leaf, every node is shown instead (as ``'all'``), unless that makes more than `max_paths`
        paths: then the one factor is the gradient itself.
      - ``'all'``: every node; each factor is one op's local derivative.
      - an iterable of Values: exactly those nodes (plus root and leaf), whatever their labels. The Mazur
        demo passes out_o1, net_o1, ... to read as the notes do: they write ∂E_total/∂out_o1 = 0.741365 as
        one factor, where ``'labelled'`` would also stop at the labelled E_o1 (∂E_total/∂E_o1 = 1, then
        ∂E_o1/∂out_o1 = 0.741365 collapsed through the unlabelled ``(target - out)``, ``**2`` and ``0.5 *``).
    Paths are listed in operand order, depth first (E_total = E_o1 + E_o2: the paths through o1 first).

    The sum of the products is checked against ``backward()`` from `root` (run here on the graph's grads,
    which are saved and restored, so the answer does not depend on grads left by earlier calls). With
    exactly one ``root.backward()`` done before, ``breakdown.gradient == leaf.grad``.

    Raises TypeError when `root`/`leaf` or an item of `through` is not a Value, ValueError for an unknown
    `through`, TooManyPathsError (a ValueError) when there are more than `max_paths` paths (they are counted
    first, so a graph with 2**60 paths fails at once), ChainRuleError when the products do not add up."""
    for what, v in (("root", root), ("leaf", leaf)):
        if not isinstance(v, Value):
            raise TypeError(f"chain_rule: {what} must be a Value, got {type(v).__name__} {v!r}")
    if not isinstance(max_paths, int) or isinstance(max_paths, bool) or max_paths < 1:
        raise ValueError(f"chain_rule: max_paths must be an int >= 1, got {max_paths!r}")
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    names = _names(order)
    names.setdefault(leaf, leaf.label if leaf.label is not None else "leaf")  # a leaf outside root's graph
    on_path = on_paths(order, [leaf]) if leaf in index else set()
    stops = _stops(through, on_path, root, leaf)
    local = {n: [(p, d) for p, d in local_derivatives(n) if p in on_path] for n in on_path if n is not leaf}
    rank = _preorder(root)  # list the stops below a node in operand order, depth first: o1 before o2

    def stop_graph(stops):
        """({stop: {next stop: factor}}, number of root-to-leaf paths) for the chain stopping at `stops`."""
        segments = {s: _segment(s, stops, local, index) for s in stops if s is not leaf}
        segments = {s: dict(sorted(seg.items(), key=lambda item: rank[item[0]])) for s, seg in segments.items()}
        return segments, _count_paths(root, leaf, stops, segments, index)

    segments, count = stop_graph(stops)
    if (isinstance(through, str) and through == "labelled" and stops == {root, leaf} and count == 1
            and root is not leaf and not any(p is leaf for p in root.parents)):
        # No labelled node in between: the one factor would only restate the gradient (∂y/∂x = ∂y/∂x = ...),
        # so show the path through the unlabelled nodes' ops, when there are few enough paths to list.
        every = stop_graph(on_path)
        if every[1] <= max_paths:
            segments, count = every
    if count > max_paths:
        raise TooManyPathsError(
            f"chain_rule: {count:,} paths from {names[root]} down to {names[leaf]}, more than "
            f"max_paths={max_paths}; pass a larger max_paths, or stop at fewer nodes "
            f"(through='labelled' and fewer labels collapse the nodes between)")
    paths = _enumerate(root, leaf, segments) if count else []
    gradient = _engine_gradient(root, leaf, order)
    breakdown = Breakdown(root, leaf, paths, gradient, names)
    _check(breakdown)
    return breakdown


def format_breakdown(b, decimals=6):
    """The breakdown as the notes write it (a str), numbers with `decimals` places, negatives in brackets.

    One path, one line:
        ∂E_total/∂w5 = ∂E_total/∂out_o1 × ∂out_o1/∂net_o1 × ∂net_o1/∂w5 = 0.741365 × 0.186816 × 0.593270 = 0.082167
    Several paths: the symbolic sum, the numeric sum (one path per line), the paths' products, the total."""
    num = lambda x: f"{x:.{decimals}f}"
    signed = lambda x: f"({num(x)})" if x < 0 or math.copysign(1.0, x) < 0 else num(x)
    n = b.names
    head = f"∂{n[b.root]}/∂{n[b.leaf]}"
    if not b.paths:
        return f"{head} = 0 ({n[b.root]} does not depend on {n[b.leaf]})"
    symbols = [" × ".join(f"∂{n[u]}/∂{n[d]}" for u, d in zip(p.nodes, p.nodes[1:])) or "1" for p in b.paths]
    numbers = [" × ".join(signed(f) for f in p.factors) or num(1.0) for p in b.paths]
    if len(b.paths) == 1:
        path = b.paths[0]
        if len(path.factors) == 1 and not any(p is b.leaf for p in b.root.parents):
            return (f"{head} = {num(b.gradient)} (through unlabelled nodes only, collapsed into one factor; "
                    f"label some, or pass through='all', to see the chain)")
        return f"{head} = {symbols[0]} = {numbers[0]} = {num(b.gradient)}"
    pad = " " * len(head)
    lines = [f"{head} = {symbols[0]}"] + [f"{pad} + {s}" for s in symbols[1:]]
    lines += [f"{pad} = {numbers[0]}"] + [f"{pad} + {s}" for s in numbers[1:]]
    lines.append(f"{pad} = " + " + ".join(signed(p.product) for p in b.paths))
    lines.append(f"{pad} = {num(b.gradient)}")
    return "\n".join(lines)


def backward_source(root, params=(), decimals=6):
    """The backward pass of `root`'s graph as straight-line Python (a str): what `micrograd_lite.compile`
    generates, for a graph already built, with this graph's numbers in comments.

    Forward: one statement per op, named after labels (``out_h1 = sigmoid(net_h1)  # 0.593270``). Backward:
    for each op, as ``backward()`` visits them, a comment naming the forward line and one statement per
    chain-rule term (``grad_w5 += out_h1 * grad_net_o1  # 0.082167``: the variable's value after the line).
    The terms are the engine's backward closures run on symbols, so the code is what ``backward()`` computes.

    Variables (differentiated with respect to): the leaves in `params` (e.g. ``model.parameters()``;
    unlabelled ones are named p<index>) or, when `params` is empty, the labelled leaves. Every other leaf is
    a constant: a number, or a named line (``i1 = 0.05``) when it has a label. `decimals`: digits in the
    comments. Raises TypeError when `root` is not a Value, ValueError when it is a leaf or no leaf is a
    variable (nothing to differentiate with respect to: label the leaves or pass params), and
    `compiler.CompileError` for an op the compiler does not know."""
    from .compiler.codegen import backward_statements, forward_statements
    from .compiler.names import grad_name, label_comment, temporary
    from .compiler.runtime import NAMESPACE, logsumexp
    from .compiler.trace import CONSTANT, OP, PARAMETER, Trace

    if not isinstance(root, Value):
        raise TypeError(f"backward_source: root must be a Value, got {type(root).__name__} {root!r}")
    if not root.parents:
        raise ValueError(f"backward_source: root {root!r} is a leaf; there is no backward pass to show")
    order = topological_order(root)
    chosen = set(params)
    variable = (lambda n: n in chosen) if chosen else (lambda n: n.label is not None)
    kind = {n: OP if n.parents else PARAMETER if variable(n) else CONSTANT for n in order}
    t = Trace(root, order, kind, [], ())
    if not t.params:
        raise ValueError("backward_source: no leaf is a variable (labelled, or in params): label the leaves "
                         "to differentiate with respect to, or pass params=model.parameters()")
    names = t.names
    env = dict(NAMESPACE)
    for n in order:
        env[names[n]] = n.data
        if n.op == "logsumexp":  # the forward temporaries its backward reads
            _, es, s = logsumexp(tuple(p.data for p in n.parents))
            env[temporary(names[n], "es")], env[temporary(names[n], "s")] = es, s
    num = lambda x: f"{x:.{decimals}f}" if x == 0 or 10.0 ** -decimals <= abs(x) < 1e6 else f"{x:.{decimals}e}"
    fwd = forward_statements(t)
    width = max(len(s) for _, s in fwd)
    out = [f"# {names[n]}: label {label_comment(n.label)}" for n in order
           if n.label is not None and names[n] != n.label]  # a label is never code, only a comment
    out += ["# forward (values of this graph)"]
    out += [f"{names[n]} = {num(n.data)}" for n in order if not n.parents and (n in t.params or n.label is not None)]
    out += [f"{s.ljust(width)}  # {num(n.data)}" for n, s in fwd]
    out += ["", "# backward: the chain rule through each forward line, in the order backward() runs them",
            f"{grad_name(names[root])} = 1.0"]
    env[grad_name(names[root])] = 1.0
    for comment, lines in backward_statements(t, fwd, params_defined=False):
        out.append(f"# backward of: {comment}")
        for group in _statements(lines):
            exec("\n".join(group), env)  # noqa: S102 (our own generated code, on this graph's numbers)
            target = group[-1].split()[0] if len(group) == 1 else None
            if target is not None and target in env:
                out.append(f"{group[0].ljust(width)}  # {num(env[target])}")
            else:  # a branch: the values its targets end with
                out += group
                targets = dict.fromkeys(line.split()[0] for line in group if line.lstrip().startswith("grad_"))
                out.append("# now " + ", ".join(f"{g} = {num(env[g])}" for g in targets))
    return "\n".join(out) + "\n"


def _statements(lines):
    """`lines` of source grouped into top-level statements (an if with its branches is one group)."""
    groups = []
    for line in lines:
        if groups and (line.startswith(" ") or line.startswith(("elif ", "else:"))):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


# ---- helpers ------------------------------------------------------------------------------------------------
def _names(order):
    """Node -> printed name: its label, else its op and its position in the topological order (``tanh#7``)."""
    return {node: node.label if node.label is not None else f"{node.op or 'leaf'}#{i}"
            for i, node in enumerate(order)}


def _stops(through, on_path, root, leaf):
    if isinstance(through, str):
        if through == "all":
            chosen = on_path
        elif through == "labelled":
            chosen = {n for n in on_path if n.label is not None}
        else:
            raise ValueError(f"chain_rule: through must be 'labelled', 'all' or an iterable of Values, got {through!r}")
    else:
        chosen = set()
        for v in through:
            if not isinstance(v, Value):
                raise TypeError(f"chain_rule: through must hold Values, got {type(v).__name__} {v!r}")
            if v in on_path:
                chosen.add(v)
    return (chosen | {root, leaf}) & on_path if on_path else set()


def _preorder(root):
    """Node -> rank in a depth-first walk from `root` taking operands in order (each node at its first visit)."""
    rank = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node not in rank:
            rank[node] = len(rank)
            stack.extend(reversed(node.parents))
    return rank


def _segment(start, stops, local, index):
    """``{stop: ∂start/∂stop}`` for the stops reached from `start` through non-stop nodes only: a small
    backward pass from `start` that halts at stops. Nodes are processed children first (highest
    topological index first), so each one's derivative is complete before it is passed on."""
    out = {}
    acc = {start: 1.0}
    heap = [(-index[start], id(start), start)]
    while heap:
        _, _, node = heapq.heappop(heap)
        g = acc[node]
        for parent, d in local[node]:
            if parent in stops:
                out[parent] = out.get(parent, 0.0) + g * d
            elif parent in acc:
                acc[parent] += g * d
            else:
                acc[parent] = g * d
                heapq.heappush(heap, (-index[parent], id(parent), parent))
    return out


def _count_paths(root, leaf, stops, segments, index):
    """Number of stop-to-stop paths from root to leaf, by dynamic programming (parents first)."""
    if root not in stops:
        return 0
    count = {leaf: 1}
    for s in sorted(stops, key=index.__getitem__):
        if s is not leaf:
            count[s] = sum(count.get(t, 0) for t in segments[s])
    return count[root]


def _enumerate(root, leaf, segments):
    """Every root-to-leaf path of the stop graph, depth first. Iterative, as a chain may be a million deep,
    and the path so far is one list grown and shrunk in place, copied only when it reaches the leaf: time
    linear in the size of the listing, where copying it at every step would be quadratic in the depth."""
    if root is leaf:
        return [Path((root,), ())]
    out = []
    nodes, factors = [root], []
    todo = [iter(segments[root].items())]  # todo[i]: the next steps not yet taken from nodes[i]
    while todo:
        for nxt, f in todo[-1]:
            nodes.append(nxt)
            factors.append(f)
            if nxt is leaf:
                out.append(Path(nodes, factors))
                nodes.pop()
                factors.pop()
                continue
            todo.append(iter(segments[nxt].items()))
            break
        else:  # every step from nodes[-1] taken: back up one node
            todo.pop()
            nodes.pop()
            if factors:
                factors.pop()
    return out


def _engine_gradient(root, leaf, order):
    """d root / d leaf by ``root.backward()``, leaving every grad in the graph as it was."""
    saved = [n.grad for n in order]
    try:
        for n in order:
            n.grad = 0.0
        root.backward()
        return leaf.grad if leaf in set(order) else 0.0
    finally:
        for n, g in zip(order, saved):
            n.grad = g


def _check(b):
    total, g = b.total(), b.gradient
    if math.isnan(total) and math.isnan(g) or total == g:
        return
    scale = math.fsum(abs(p.product) for p in b.paths) + abs(g)
    if abs(total - g) <= 1e-9 * scale:  # the same products, summed in another order
        return
    raise ChainRuleError(
        f"chain_rule: the {len(b.paths)} paths from {b.names[b.root]} to {b.names[b.leaf]} sum to {total!r} "
        f"but backward() gives {g!r}")


# ---- the backward pass, step by step ------------------------------------------------------------------------
TraceStep = namedtuple("TraceStep", "node name op upstream edges")
TraceStep.__doc__ = """One closure run of ``backward()``: `node` (the Value), its printed `name`, its `op`, the `upstream`
gradient d root/d node when its closure runs, and `edges`, a list of `TraceEdge`, one per distinct parent."""
TraceEdge = namedtuple("TraceEdge", "parent name local contribution running")
TraceEdge.__doc__ = """One parent of a step: the `parent` Value, its printed `name`, the `local` derivative d node/d parent
(from `local_derivatives`), the `contribution` upstream x local, and the parent's `running` gradient after it."""


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
        d = lambda node: _denominator(node, self.names[node])
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


def _denominator(node, name):
    """`name` as the denominator of ∂: bracketed when it is an unlabelled node's op over operands."""
    if node.label is None and node.parents and not (name.endswith(")") and name[:1].isalpha()):
        return f"({name})"
    return name


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
    left as they were. Nodes are named by `micrograd_lite.naming.display_name`; an unlabelled leaf is a
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
    grads = {node: 0.0 for node in order}
    grads[root] = 1.0
    steps = []
    for node in reversed(order):
        if not node.parents:
            continue
        upstream = grads[node]
        edges = []
        for parent, local in local_derivatives(node):
            contribution = upstream * local
            grads[parent] += contribution
            edges.append(TraceEdge(parent, names[parent], local, contribution, grads[parent]))
        steps.append(TraceStep(node, names[node], node.op, upstream, edges))
    return BackwardTrace(root, steps, grads, names, constants)


from .slips import Cause, CheckReport, CheckResult, check, claim_value  # noqa: E402  (slips imports explain lazily)
