"""Check a hand derivation against the engine: a verdict for each written number, and for a wrong one the
common slips of hand derivations that reproduce it.

``check(root, {"out_h1": "0.59", "∂E_total/∂w5": "0.0821", "w5+": "0.35"}, lr=0.5)`` reads each claim's
value off the engine (a node's ``data``; a gradient by ``backward()``; a weight after one SGD step) and
compares it with the written number to its printed digits. A wrong number is re-derived under a catalogue
of slips (`KINDS`), each a re-evaluation of the graph by the engine: a replay of it with some node replaced
(`micrograd_lite.replay`), or its backward pass with some local derivatives changed (read by
`micrograd_lite.explain.local_derivatives`, never restated). A slip is named only when it reproduces the
written digits. Also exported from `micrograd_lite.explain`.
"""

import math
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from fractions import Fraction

from .checks import short_repr
from .engine import Value, topological_order
from .replay import replay

__all__ = ["check", "claim_value", "CheckReport", "CheckResult", "Cause", "KINDS", "agreement"]

# The catalogue, simplest first: causes are ranked in this order, then by how close they come.
KINDS = ("sign", "decimal-shift", "learning-rate", "no-activation", "missing-path", "paths-multiplied",
         "updated-weights", "renumbered", "other-node")
ACTIVATIONS = ("sigmoid", "tanh", "relu")
EXACT = 1e-9  # a float claim means "exact": relative tolerance (absolute below 1)


class Cause:
    """A slip that reproduces a written number: its `kind` (one of `KINDS`), a `sentence` saying what was
    done, and the `value` the engine gives under it."""

    __slots__ = ("kind", "sentence", "value")

    def __init__(self, kind, sentence, value):
        self.kind, self.sentence, self.value = kind, sentence, value

    def __repr__(self):
        return f"Cause({self.kind!r}, {self.sentence!r}, value={self.value!r})"


class CheckResult:
    """One claim checked: `name`, `written` (as given), `value` (the engine's, a float), `verdict`
    (``"correct"``, ``"truncated"`` or ``"wrong"``) and `causes` (a list of `Cause`, ranked; empty unless
    wrong, and empty when no known slip reproduces it)."""

    __slots__ = ("name", "written", "value", "verdict", "causes")

    def __init__(self, name, written, value, verdict, causes):
        self.name, self.written, self.value, self.verdict, self.causes = name, written, value, verdict, causes

    def likely_cause(self):
        """The first cause's sentence, "no known slip reproduces it" for a wrong claim without one, else ""."""
        if self.verdict != "wrong":
            return ""
        return f"{self.causes[0].kind}: {self.causes[0].sentence}" if self.causes else "no known slip reproduces it"

    def __repr__(self):
        return (f"CheckResult({self.name!r}, written={self.written!r}, value={self.value!r}, "
                f"verdict={self.verdict!r}, {len(self.causes)} causes)")


class CheckReport:
    """The result of `check`: ``items``, a list of `CheckResult` in the claims' order; ``report[name]`` is
    one of them. ``str(report)`` is a table: claim, written, engine, verdict, likely cause."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, name):
        for item in self.items:
            if item.name == name:
                return item
        raise KeyError(f"CheckReport: no claim named {name!r}")

    def __repr__(self):
        counts = {}
        for item in self.items:
            counts[item.verdict] = counts.get(item.verdict, 0) + 1
        return f"CheckReport({len(self.items)} claims: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + ")"

    def __str__(self):
        rows = [("claim", "written", "engine", "verdict", "likely cause")]
        rows += [(r.name, str(r.written), f"{r.value:.10g}", r.verdict, r.likely_cause()) for r in self.items]
        width = [max(len(row[c]) for row in rows) for c in range(4)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:4], width)) + "  " + row[4] for row in rows]
        lines.insert(1, "  ".join("-" * w for w in width) + "  " + "-" * 12)
        return "\n".join(line.rstrip() for line in lines)


# ---- the written numbers ------------------------------------------------------------------------------------
def _parse_written(name, written):
    """(float, Decimal or None): a str's printed digits set the tolerance (a Decimal); a number, or a str
    fraction like "1/2", is exact (None)."""
    if isinstance(written, bool) or not isinstance(written, (str, int, float)):
        raise TypeError(f"check: claim {name!r}: the written number must be a str (as written) or a number, "
                        f"got {type(written).__name__} {short_repr(written)}")
    if not isinstance(written, str):
        return float(written), None
    text = written.strip().replace("\u2212", "-")
    try:
        if "/" in text:
            return float(Fraction(text)), None
        dec = Decimal(text)
    except (InvalidOperation, ValueError, ZeroDivisionError):
        raise ValueError(f"check: claim {name!r}: cannot read the written number {written!r} "
                         f"(write it as Python would, e.g. '0.35', '-1.5e-3' or '1/2')") from None
    if not dec.is_finite():
        raise ValueError(f"check: claim {name!r}: the written number {written!r} is not finite")
    return float(dec), dec


def agreement(written, value):
    """How `value` (a float) agrees with `written` (a str as printed, or a number meaning exact to 1e-9):
    ``"correct"`` (within half a unit of its last printed digit; for a number, within 1e-9, relative above
    1), ``"truncated"`` (not that, but `value` cut, not rounded, to the printed digits gives it) or None.
    A printed zero keeps its sign: "-0.00" is not the rounding of +0.003."""
    w, dec = _parse_written("written", written)
    if not math.isfinite(value):
        return None
    if dec is None:
        return "correct" if abs(value - w) <= EXACT * max(1.0, abs(value)) else None
    if w == 0.0 and abs(value) >= 1e-12 and dec.is_signed() != (value < 0):
        return None
    quantum = Decimal(1).scaleb(dec.as_tuple().exponent)
    if abs(value - w) <= 0.5 * float(quantum) * (1 + 1e-9):  # the fuzz: 0.445 is 0.44499999... in binary
        return "correct"
    if Decimal(repr(value)).quantize(quantum, rounding=ROUND_DOWN) == dec:
        return "truncated"
    return None


# ---- claim names -------------------------------------------------------------------------------------------
class _Claim:
    """A parsed claim name: kind 'data' (of `node`), 'grad' (d `node` / d `wrt`) or 'update' (`node` after
    one SGD step)."""

    __slots__ = ("kind", "node", "wrt")

    def __init__(self, kind, node, wrt=None):
        self.kind, self.node, self.wrt = kind, node, wrt


def _label_index(order):
    index = {}
    for node in order:
        if node.label is not None:
            index.setdefault(node.label, []).append(node)
    return index


def _unknown(name, index, why="unknown name"):
    known = ", ".join(sorted(index)) or "(none: label the nodes you want to check)"
    return KeyError(f"check: {why} {name!r}: a claim is a node's label (its data), '∂A/∂B' or 'dA/dB' of two "
                    f"labels (a gradient) or 'label+' (after one SGD step); known labels: {known}")


def _lookup(name, label, index):
    nodes = index.get(label)
    if nodes is None:
        return None
    if len(nodes) > 1:
        raise _unknown(name, index, f"ambiguous label {label!r} ({len(nodes)} nodes) in")
    return nodes[0]


def _parse_name(name, index):
    if not isinstance(name, str):
        raise TypeError(f"check: claim names must be str, got {type(name).__name__} {short_repr(name)}")
    text = name.strip()
    node = _lookup(name, text, index)
    if node is not None:
        return _Claim("data", node)
    if text.endswith("+"):
        node = _lookup(name, text[:-1].strip(), index)
        if node is not None:
            return _Claim("update", node)
    if text[:1] in ("∂", "d"):
        for i in range(1, len(text) - 1):
            if text[i] == "/" and text[i + 1] in ("∂", "d"):
                num, den = _lookup(name, text[1:i].strip(), index), _lookup(name, text[i + 2:].strip(), index)
                if num is not None and den is not None:
                    return _Claim("grad", num, den)
    raise _unknown(name, index)


# ---- worlds: the graph re-evaluated under a slip ------------------------------------------------------------
class _World:
    """The graph replayed under a substitution; answers claims with the engine's forward and backward."""

    def __init__(self, root, substitute=None):
        self.root = root
        self.new = replay(root, substitute)
        self._grads = {}

    def grads(self, source):
        """{original node: d source / d node} in this world, by one backward() on zeroed grads."""
        if source not in self._grads:
            for v in self.new.values():
                v.grad = 0.0
            self.new[source].backward()
            self._grads[source] = {n: v.grad for n, v in self.new.items()}
        return self._grads[source]

    def value(self, claim, lr):
        if claim.kind == "data":
            return self.new[claim.node].data
        if claim.kind == "grad":
            return self.grads(claim.node).get(claim.wrt, 0.0)
        return self.new[claim.node].data - lr * self.grads(self.root).get(claim.node, 0.0)


class _Context:
    """Everything a check needs once per call: the graph, its labels, the parameters, the worlds built."""

    def __init__(self, root, lr, params):
        from .explain import local_derivatives  # explain imports this module at its end
        self.root, self.lr = root, lr
        self.order = topological_order(root)
        self.index = _label_index(self.order)
        self.labelled = [n for n in self.order if n.label is not None and len(self.index[n.label]) == 1]
        self.leaves = [n for n in self.labelled if not n.parents]
        self.roles = _roles(self.order)
        self.params = self.leaves if params is None else [p for p in params if p in set(self.order)]
        self.local = {n: local_derivatives(n) for n in self.order if n.parents}
        self.base = _World(root)
        self._worlds = {}

    def world(self, key, substitute):
        if key not in self._worlds:
            try:
                self._worlds[key] = _World(self.root, substitute)
            except (ValueError, ZeroDivisionError, OverflowError):  # the slip leaves an op's domain
                self._worlds[key] = None
        return self._worlds[key]

    def grads_with(self, source, override):
        """{node: d source / d node} by the chain rule on the local derivatives, with `override`
        ({node: f(parent, local) -> local}) changing some of them: a backward pass with a slip in it."""
        g = {source: 1.0}
        for node in reversed(self.order):
            if node not in g or not node.parents:
                continue
            up, change = g[node], override.get(node)
            for parent, d in self.local[node]:
                g[parent] = g.get(parent, 0.0) + up * (change(parent, d) if change else d)
        return g


def _roles(order):
    """Node -> (distance from the root, the slots it fills): two leaves with the same role (say w2 and w3,
    both weights of a hidden neuron) are what a renumbering swaps; w3 and b2 are not."""
    depth = {order[-1]: 0}
    slots = {}
    for node in reversed(order):
        n = len(node.parents)
        for i, p in enumerate(node.parents):
            depth[p] = max(depth.get(p, 0), depth[node] + 1)
            slot = ("w" if i < n // 2 else "x" if i < 2 * (n // 2) else "b") if node.op == "dot" else i
            slots.setdefault(p, set()).add((node.op, slot))
    return {node: (depth[node], frozenset(slots.get(node, ()))) for node in order}


def _name(node):
    """A node's display name (`micrograd_lite.naming.display_name`): its label, a constant's number, or its op
    over its operands (0.01 − out_o1)."""
    from .naming import display_name
    return display_name(node)


def _describe(claim):
    if claim.kind == "data":
        return claim.node.label
    if claim.kind == "grad":
        return f"∂{_name(claim.node)}/∂{_name(claim.wrt)}"
    return f"{claim.node.label}+"


def _candidates(ctx, claim, engine):
    """(kind, sentence, value) for every slip of the catalogue that applies to `claim`, unranked."""
    lr = ctx.lr
    on_graph = set(topological_order(claim.node if claim.kind == "grad" else ctx.root))
    # sign
    if claim.kind == "update":
        g = ctx.base.grads(ctx.root).get(claim.node, 0.0)
        yield "sign", f"the step added lr × gradient instead of subtracting it ({claim.node.label} + lr·∂/∂)", \
            claim.node.data + lr * g
    else:
        yield "sign", "the opposite sign (t − o for o − t)", -engine
    if claim.kind == "grad":
        for node in ctx.order:
            if node in on_graph and node.op in ("-", "neg"):
                g = ctx.grads_with(claim.node, {node: lambda p, d: -d})
                yield "sign", (f"the derivative of {_name(node)} taken with the wrong sign "
                               f"(t − o differentiated as o − t)"), g.get(claim.wrt, 0.0)
    # decimal-shift
    for leaf in ctx.leaves:
        if leaf.data == 0.0 or leaf not in on_graph:
            continue
        for factor in (10.0, 0.1):
            moved = leaf.data * factor
            w = ctx.world(("shift", leaf, factor), {leaf: moved})
            if w is not None:
                yield "decimal-shift", f"{leaf.label} = {moved:.10g} for {leaf.data:.10g} (decimal point moved)", \
                    w.value(claim, lr)
    # learning-rate
    if lr is not None:
        if claim.kind == "update":
            g = ctx.base.grads(ctx.root).get(claim.node, 0.0)
            yield "learning-rate", "the learning rate omitted (w − ∂E/∂w)", claim.node.data - g
            yield "learning-rate", f"the learning rate applied twice (w − lr² ∂E/∂w, lr = {lr:g})", \
                claim.node.data - lr * lr * g
        elif claim.kind == "grad":
            yield "learning-rate", f"the gradient multiplied by the learning rate ({lr:g})", lr * engine
    # no-activation
    acts = [n for n in ctx.order if n.op in ACTIVATIONS and n in on_graph]
    for act in acts:
        net = act.parents[0]
        w = ctx.world(("identity", act), {act: lambda ps, node: ps[0]})
        if w is not None:
            yield "no-activation", (f"{_name(net)} used as {_name(act)} (the {act.op} left out), "
                                    f"also downstream"), w.value(claim, lr)
    if len(acts) > 1:
        w = ctx.world(("identity", "all"), {a: (lambda ps, node: ps[0]) for a in acts})
        if w is not None:
            yield "no-activation", "every activation left out (each net used as its out)", w.value(claim, lr)
    if claim.kind == "grad":
        for act in acts:
            g = ctx.grads_with(claim.node, {act: lambda p, d: 1.0})
            yield "no-activation", (f"the factor ∂{_name(act)}/∂{_name(act.parents[0])} left out of the chain "
                                    f"(taken as 1)"), g.get(claim.wrt, 0.0)
        if len(acts) > 1:
            g = ctx.grads_with(claim.node, {a: (lambda p, d: 1.0) for a in acts})
            yield "no-activation", "every activation's derivative left out of the chain", g.get(claim.wrt, 0.0)
    # missing-path, paths-multiplied
    if claim.kind == "grad":
        yield from _path_slips(claim)
    # updated-weights
    if lr is not None and ctx.params:
        after = {p: p.data - lr * ctx.base.grads(ctx.root).get(p, 0.0) for p in ctx.params}
        w = ctx.world(("updated", "all"), after)
        if w is not None:
            yield "updated-weights", "computed with the weights after the SGD step instead of before", \
                w.value(claim, lr)
        for p in ctx.params:
            if p in on_graph and after[p] != p.data:
                w = ctx.world(("updated", p), {p: after[p]})
                if w is not None:
                    yield "updated-weights", (f"computed with {p.label} after the step ({after[p]:.10g}) instead "
                                              f"of before ({p.data:.10g})"), w.value(claim, lr)
    # renumbered: two leaves swapped; the same quantity read at another leaf
    for i, a in enumerate(ctx.leaves):
        for b in ctx.leaves[i + 1:]:
            if a.data != b.data and (a in on_graph or b in on_graph) and ctx.roles[a] == ctx.roles[b]:
                w = ctx.world(("swap", a, b), {a: b.data, b: a.data})
                if w is not None:
                    yield "renumbered", f"{a.label} and {b.label} swapped", w.value(claim, lr)
    subject = claim.wrt if claim.kind == "grad" else claim.node
    for other in ctx.labelled:
        if other is subject or (claim.kind == "update" and other not in ctx.params):
            continue
        kind = "renumbered" if not other.parents and not subject.parents else "other-node"
        what = "parameter or input" if kind == "renumbered" else "node"
        if claim.kind == "data":
            value = other.data
        elif claim.kind == "grad":
            value = ctx.base.grads(claim.node).get(other, 0.0)
        else:
            value = other.data - lr * ctx.base.grads(ctx.root).get(other, 0.0)
        alt = _describe(_Claim(claim.kind, other if claim.kind != "grad" else claim.node, other))
        yield kind, f"the value of {alt} (another {what}) instead of {_describe(claim)}", value
    if claim.kind == "grad":
        for other in ctx.labelled:
            if other is not claim.node and other.parents:
                value = ctx.base.grads(other).get(claim.wrt, 0.0)
                alt = f"∂{other.label}/∂{_name(claim.wrt)}"
                yield "other-node", f"the value of {alt} (another node) instead of {_describe(claim)}", value


def _path_slips(claim):
    from .explain import TooManyPathsError, chain_rule
    try:
        b = chain_rule(claim.node, claim.wrt, through="labelled")
    except TooManyPathsError:
        return
    if len(b.paths) < 2:
        return
    n = len(b.paths)
    route = lambda p: " → ".join(b.names[v] for v in p.nodes)
    total = b.total()
    for p in b.paths:
        yield "missing-path", f"only the path {route(p)} (one of {n} chain-rule paths)", p.product
        if n > 2:
            yield "missing-path", f"the path {route(p)} left out (of {n})", total - p.product
    yield "paths-multiplied", f"the {n} paths' products multiplied instead of added", \
        math.prod(p.product for p in b.paths)


def _causes(ctx, claim, written, engine):
    found = {}
    for kind, sentence, value in _candidates(ctx, claim, engine):
        if value is None or not isinstance(value, float) or not math.isfinite(value):
            continue
        if agreement(written, value) is None or (kind, sentence) in found:
            continue
        found[(kind, sentence)] = Cause(kind, sentence, value)
    w = _parse_written("written", written)[0]
    return sorted(found.values(), key=lambda c: (KINDS.index(c.kind), abs(c.value - w)))


# ---- public ----------------------------------------------------------------------------------------------
def claim_value(root, name, *, lr=None):
    """The engine's value of one claim name (see `check`): a node's ``data``, a gradient by ``backward()``
    on a replay of the graph (the graph's own grads are left alone), or a weight after one SGD step with
    `lr`. Raises what `check` raises for a bad name or a missing `lr`."""
    return check(root, {name: 0.0}, lr=lr, explain=False).items[0].value


def check(root, claims, *, lr=None, params=None, explain=True):
    """Check written numbers against the engine; returns a `CheckReport`.

    `root`: the Value the derivation is about (a loss). `claims`: a dict name -> the learner's number as
    written: a str (its printed digits set the tolerance: "0.59" is right for 0.5933, "truncated" for
    0.5989), or a number (exact to 1e-9). Names:
      - a node's label, for its ``data`` (``"out_h1"``);
      - ``"∂E_total/∂w5"`` or ``"dE_total/dw5"``, for a gradient: d A / d B for two labels (A is usually the
        root; any labelled node works, e.g. a local derivative ``"∂out_o1/∂net_o1"``);
      - ``"w5+"``, for w5 after one SGD step ``w5 - lr * ∂root/∂w5`` (needs `lr`).
    `lr`: the learning rate (a float) of ``+`` claims and of the slips that involve the step. `params`: the
    Values an SGD step updates, for the "updated-weights" slips (default: every labelled leaf).
    `explain=False` skips the search for causes.

    Verdicts: "correct", "truncated" (right, but cut instead of rounded), "wrong". For a wrong claim,
    `causes` lists the slips of `KINDS` whose re-evaluation reproduces the written number to its printed
    digits, ranked (simplest kind first, then closest); empty means no known slip reproduces it. A correct
    claim is never "wrong", and a cause is listed only when it reproduces the written digits.

    Raises TypeError when `root` is not a Value, `claims` is not a dict or a written number is neither a str
    nor a number; ValueError for an unreadable written number or a ``+`` claim without `lr`; KeyError,
    listing the known labels, for an unknown name or a label that names several nodes."""
    if not isinstance(root, Value):
        raise TypeError(f"check: root must be a Value, got {type(root).__name__} {short_repr(root)}")
    if not isinstance(claims, dict):
        raise TypeError(f"check: claims must be a dict name -> written number, got {type(claims).__name__}")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr)):
        raise TypeError(f"check: lr must be a finite number or None, got {short_repr(lr)}")
    ctx = _Context(root, lr, params)
    parsed = []
    for name, written in claims.items():
        claim = _parse_name(name, ctx.index)
        _parse_written(name, written)
        if claim.kind == "update" and lr is None:
            raise ValueError(f"check: claim {name!r} is a value after one SGD step and needs lr=")
        parsed.append((name, written, claim))
    items = []
    for name, written, claim in parsed:
        value = claim.node.data if claim.kind == "data" else ctx.base.value(claim, lr)
        verdict = agreement(written, value) or "wrong"
        causes = _causes(ctx, claim, written, value) if verdict == "wrong" and explain else []
        items.append(CheckResult(name, written, value, verdict, causes))
    return CheckReport(items)
