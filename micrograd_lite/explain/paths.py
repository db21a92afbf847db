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

from ..engine import Value, topological_order
from ..graph import on_paths
from .naming import denominator, display_name

__all__ = ["local_derivatives", "backpropagate", "chain_rule", "format_breakdown", "Path", "Breakdown", "TooManyPathsError", "ChainRuleError", "MAX_PATHS"]


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



def backpropagate(order, source, local, *, override=None, on_node=None):
    """``{node: d source / d node}``: the chain rule run once, from `source` down, over given local derivatives.
    The one backward loop of `explain`: the trace records it (`trace.trace_backward`), the checker runs it with
    a slip in it (`worlds._Context.grads_with`).

    `order`: a graph in topological order (`topological_order(root)`, `source` one of its nodes); `local`:
    ``{node: [(parent, d node / d parent), ...]}`` for its interior nodes (`local_derivatives`' lists).
    Nodes are visited as ``backward()`` visits them (reverse topological order), those below `source` only;
    d source / d source = 1. `override`: ``{node: f(parent, local) -> local}``, changing some local
    derivatives (a learner's slip). `on_node(node, upstream, edges)`, if given, is called after each visited
    interior node with its upstream gradient and, per distinct parent, ``(parent, local, contribution,
    running)``: the parent's running gradient after this node's contribution."""
    g = {source: 1.0}
    override = override or {}
    for node in reversed(order):
        if node not in g or not node.parents:
            continue
        upstream, change = g[node], override.get(node)
        edges = []
        for parent, d in local[node]:
            if change:
                d = change(parent, d)
            contribution = upstream * d
            g[parent] = g.get(parent, 0.0) + contribution
            edges.append((parent, d, contribution, g[parent]))
        if on_node is not None:
            on_node(node, upstream, edges)
    return g


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



# ---- helpers ------------------------------------------------------------------------------------------------
def _names(order):
    """Node -> printed name (`naming.display_name`; an op over operands bracketed, to read as one symbol
    after ∂: ``∂(x·2)/∂x``)."""
    return {node: denominator(node, display_name(node)) for node in order}



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
