"""The slip catalogue: the common slips of hand derivations, one small function per kind (`CATALOGUE`; `KINDS` is
read from it), each yielding the numbers a slip gives, by a re-evaluation of the graph by the engine: a replay
of it with some node replaced (`replay`; for a node's data only the nodes between the slip and the claim), or
its backward pass with some local derivatives changed (read by `paths.local_derivatives`, never restated; one
node's change is exact from one reverse and one forward pass). The cost per wrong claim is a few passes over
the graph: a large family of replays of a gradient is first screened by its first-order estimate.
"""

import math
from decimal import Decimal

from ..autograd import grad
from ..engine import Value
from .claims import EXACT, _Claim, _describe, _parse_written, agreement, significant_digits
from .naming import display_name
from .paths import TooManyPathsError, chain_rule
from .replay import _recompute

__all__ = ["Cause", "CATALOGUE", "KINDS"]


ACTIVATIONS = ("sigmoid", "tanh", "relu")



class Cause:
    """A slip that reproduces a written number: its `kind` (one of `KINDS`), a `sentence` saying what was
    done, the `value` the engine gives under it, `digits` (how many significant digits of the written
    number it reproduces) and `coincidence` (True when it matched on 2 or fewer significant digits, or when
    so many different slips (`CROWD` or more) reproduce the number that any number would be explained)."""

    __slots__ = ("kind", "sentence", "value", "digits", "coincidence")

    def __init__(self, kind, sentence, value, digits=17, coincidence=False):
        self.kind, self.sentence, self.value = kind, sentence, value
        self.digits, self.coincidence = digits, coincidence

    def __str__(self):
        note = ", possibly a coincidence" if self.coincidence else ""
        return f"{self.kind}: {self.sentence} (gives {self.value:.6g}; {self.digits} digit{'s' * (self.digits != 1)}{note})"

    def __repr__(self):
        return (f"Cause({self.kind!r}, {self.sentence!r}, value={self.value!r}, digits={self.digits}, "
                f"coincidence={self.coincidence})")



# ---- the search for causes: one claim, the catalogue's slips re-evaluated -------------------------------------
class _Replayed:
    """A slip re-evaluated by replaying the graph: `key` names its world (shared by the claims of one
    check), `substitute` is `replay`'s argument, `delta` ({node: change of its value}) gives the first-order
    estimate that screens a large family before anything is replayed (None: always replayed)."""

    __slots__ = ("key", "substitute", "delta")

    def __init__(self, key, substitute, delta=None):
        self.key, self.substitute, self.delta = key, substitute, delta



class _Search:
    """One wrong claim: its engine value, the written number, and what the slips of the catalogue share (the
    nodes it depends on; for a gradient d A / d B the reverse gradient of A and the forward tangent of B,
    whose product at a node gives exactly what changing that node's local derivatives does)."""

    def __init__(self, ctx, claim, written, engine):
        self.ctx, self.claim, self.written, self.engine = ctx, claim, written, engine
        self.w, dec = _parse_written("written", written)
        self.tol = EXACT * max(1.0, abs(self.w)) if dec is None else \
            max(0.5 * float(Decimal(1).scaleb(dec.as_tuple().exponent)), EXACT * max(1.0, abs(self.w)))
        self.on_graph = ctx.cone(ctx.root if claim.kind == "update" else claim.node)
        self._up = self._tangent = self._sens = None

    @property
    def up(self):
        """{node: d A / d node} (A: the claim's node for a gradient, else the root)."""
        if self._up is None:
            self._up = self.ctx.base.grads(self.claim.node if self.claim.kind == "grad" else self.ctx.root)
        return self._up

    @property
    def tangent(self):
        if self._tangent is None:
            self._tangent = self.ctx.tangent(self.claim.wrt)
        return self._tangent

    def changed_locals(self, node, factor):
        """The claim's gradient with every local derivative of `node` multiplied by `factor` (exact: a path
        crosses a node once, so the gradient is affine in that node's local derivatives)."""
        return self.engine + self.up.get(node, 0.0) * (factor - 1.0) * self.tangent.get(node, 0.0)

    def sensitivity(self):
        """{node: d claim / d node's value}, first order, for screening replays; None if unavailable."""
        if self._sens is None:
            self._sens = _sensitivity(self.ctx, self.claim) or {}
        return self._sens

    def matches(self, value):
        return isinstance(value, float) and math.isfinite(value) and agreement(self.written, value) is not None



def _sensitivity(ctx, claim):
    """d claim / d node for every node of the graph: a data claim's reverse gradient; for a gradient (and a
    step), the gradient of that gradient, by `micrograd_lite.autograd.grad` with ``create_graph=True`` on
    the base world's replay."""
    if claim.kind == "data":
        return ctx.base.grads(claim.node)
    new = ctx.base.new
    a, b = (claim.node, claim.wrt) if claim.kind == "grad" else (ctx.root, claim.node)
    nodes = list(new)
    try:
        (g,) = grad(new[a], new[b], create_graph=True, allow_unused=True)
        if g is None or not isinstance(g, Value):
            return {}
        second = grad(g, [new[n] for n in nodes], allow_unused=True)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None
    sens = {n: (s.data if s is not None else 0.0) for n, s in zip(nodes, second)}
    if claim.kind == "update":
        sens = {n: -ctx.lr * s for n, s in sens.items()}
        sens[claim.node] = sens.get(claim.node, 0.0) + 1.0
    return sens



# When a gradient's or a step's family of replays is screened: more than `_ALWAYS` members whose replays
# would cost more than `_WORK` node evaluations in all; then only the members whose first-order estimate
# comes near the written number, and the `_KEEP` nearest, are replayed (a node's data is never screened).
_ALWAYS = 32

_WORK = 50_000

_KEEP = 2  # the members closest by the estimate are replayed whatever the screen says



def _evaluate(search, kind, candidates, screen=True):
    """[(sentence, value)] for the candidates of one kind: numbers as they are; replays by the engine: for a
    node's data only the nodes between the slip and the claim are recomputed, every candidate; for a
    gradient or a step a whole replay and backward each, screened first when the family is large (and
    `screen`: the screen needs a written number to aim at)."""
    ctx, claim, out, lazy = search.ctx, search.claim, [], []
    for sentence, value in candidates:
        (lazy if isinstance(value, _Replayed) else out).append((sentence, value))
    if not lazy:
        return out
    if claim.kind == "data":
        for sentence, r in lazy:
            out.append((sentence, ctx.data_with(claim.node, r.substitute)))
        return out
    screened = lazy
    if screen and len(lazy) > _ALWAYS and len(lazy) * len(ctx.order) > _WORK:
        sens = search.sensitivity()
        target = search.w - search.engine
        scored, unknown = [], []
        for sentence, r in lazy:
            if r.delta is None:
                unknown.append((sentence, r))
                continue
            lin = sum(sens.get(n, 0.0) * d for n, d in r.delta.items())
            scored.append((abs(lin - target), lin, sentence, r))
        scored.sort(key=lambda s: s[0])
        screened = unknown[:_ALWAYS] + [(s, r) for i, (miss, lin, s, r) in enumerate(scored)
                                        if i < _KEEP or miss <= 0.5 * max(abs(lin), abs(target)) + 2 * search.tol]
    for sentence, r in screened:
        w = ctx.world(r.key, r.substitute)
        if w is not None:
            out.append((sentence, w.value(claim, ctx.lr)))
    return out



# ---- the catalogue: one small function per kind, each yielding (sentence, value or _Replayed) -------------------
def _sign(s):
    ctx, claim = s.ctx, s.claim
    if claim.kind == "update":
        g = ctx.base.grads(ctx.root).get(claim.node, 0.0)
        yield f"the step added lr × gradient instead of subtracting it ({claim.node.label} + lr·∂/∂)", \
            claim.node.data + ctx.lr * g
        return
    yield "the opposite sign (t − o for o − t)", -s.engine
    if claim.kind == "grad":
        for node in ctx.order:
            if node in s.on_graph and node.op in ("-", "neg"):
                yield (f"the derivative of {display_name(node)} taken with the wrong sign (t − o differentiated as "
                       f"o − t)"), s.changed_locals(node, -1.0)



def _decimal_shift(s):
    ctx = s.ctx
    if s.engine != 0.0:
        for k in (1, 2, 3):
            for sign, where in ((1, "right"), (-1, "left")):
                yield (f"the decimal point of the result moved {k} place{'s' * (k > 1)} {where} "
                       f"({s.engine * 10.0 ** (sign * k):.6g} for {s.engine:.6g})"), s.engine * 10.0 ** (sign * k)
    for leaf in ctx.leaves:
        if leaf.data == 0.0 or leaf not in s.on_graph:
            continue
        for factor in (10.0, 0.1):
            moved = leaf.data * factor
            yield f"{leaf.label} = {moved:.10g} for {leaf.data:.10g} (decimal point moved)", \
                _Replayed(("shift", leaf, factor), {leaf: moved}, {leaf: moved - leaf.data})

ROUNDINGS = tuple((k, "decimal") for k in range(1, 5)) + tuple((k, "significant") for k in range(1, 5))



def _rounded(x, k, how):
    return round(x, k) if how == "decimal" else float(f"{x:.{k}g}")



# Ops whose backward closure reads the op's own output (sigmoid' = out(1 - out)): a rounded output is reached
# by moving the input (out = op(x + c)), so the rounded value is also the one the local derivative uses, as
# in a hand derivation; the other ops' output is moved after the op (their local derivatives read inputs).
_INVERSE = {"sigmoid": lambda y: math.log(y / (1.0 - y)), "tanh": math.atanh, "exp": math.log}



def _round_to(node, k, how):
    """A replay rule: `node` recomputed by its op, its value rounded before any use (the derivatives
    through it kept)."""
    def rule(ps, original):
        out = _recompute(original, ps)
        target = _rounded(out.data, k, how)
        if original.op in _INVERSE and len(ps) == 1:
            try:
                moved = _recompute(original, [ps[0] + (_INVERSE[original.op](target) - ps[0].data)])
            except (ValueError, ZeroDivisionError, OverflowError):
                moved = None
            if moved is not None and moved.data == target:
                return moved
        return out + (target - out.data)
    return rule



def _early_rounding(s):
    ctx, claim = s.ctx, s.claim
    inner = [n for n in ctx.order if n.parents and n in s.on_graph and not (claim.kind == "data" and n is claim.node)]
    for node in inner:
        if node.label is None or not math.isfinite(node.data):
            continue
        seen = set()
        for k, how in ROUNDINGS:
            r = _rounded(node.data, k, how)
            if r == node.data or r in seen:
                continue
            seen.add(r)
            unit = f"{k} decimal{'s' * (k > 1)}" if how == "decimal" else f"{k} significant digit{'s' * (k > 1)}"
            yield f"{node.label} rounded to {r:g} ({unit}) before it was used", \
                _Replayed(("round", node, r), {node: _round_to(node, k, how)}, {node: r - node.data})
    if len(inner) > 1:
        for k, how in ROUNDINGS:
            unit = f"{k} decimal{'s' * (k > 1)}" if how == "decimal" else f"{k} significant digit{'s' * (k > 1)}"
            yield f"every intermediate value rounded to {unit} before it was used", \
                _Replayed(("round all", k, how, claim.node if claim.kind == "data" else None),
                          {n: _round_to(n, k, how) for n in inner})



def _is_const(node, value):
    return not node.parents and node.label is None and node.data == value



def _factor_of_two(s):
    ctx, claim = s.ctx, s.claim
    for node in ctx.order:
        if node not in s.on_graph or len(node.parents) != 2:
            continue
        a, b = node.parents
        if node.op == "**" and _is_const(b, 2.0):
            if claim.kind == "grad":
                yield (f"the 2 of d{display_name(node)}/d{display_name(a)} = 2·{display_name(a)} dropped "
                       f"(½(t − o)² differentiated as (t − o)/2)"), s.changed_locals(node, 0.5)
                yield f"the 2 of d{display_name(node)}/d{display_name(a)} = 2·{display_name(a)} applied twice", \
                    s.changed_locals(node, 2.0)
        elif node.op == "*" and (_is_const(a, 0.5) or _is_const(b, 0.5)):
            other = b if _is_const(a, 0.5) else a
            if claim.kind == "grad":
                yield f"the ½ of ½·{display_name(other)} dropped (½(t − o)² differentiated as 2(t − o))", \
                    s.changed_locals(node, 2.0)
            else:
                yield f"the ½ of ½·{display_name(other)} left out", \
                    _Replayed(("no half", node), {node: lambda ps, n, o=node.parents.index(other): ps[o]})



def _learning_rate(s):
    ctx, claim, lr = s.ctx, s.claim, s.ctx.lr
    if lr is None:
        return
    if claim.kind == "update":
        g = ctx.base.grads(ctx.root).get(claim.node, 0.0)
        yield "the learning rate omitted (w − ∂E/∂w)", claim.node.data - g
        yield f"the learning rate applied twice (w − lr² ∂E/∂w, lr = {lr:g})", claim.node.data - lr * lr * g
    elif claim.kind == "grad":
        yield f"the gradient multiplied by the learning rate ({lr:g})", lr * s.engine



def _no_activation(s):
    ctx, claim = s.ctx, s.claim
    acts = [n for n in ctx.order if n.op in ACTIVATIONS and n in s.on_graph]
    for act in acts:
        net = act.parents[0]
        yield f"{display_name(net)} used as {display_name(act)} (the {act.op} left out), also downstream", \
            _Replayed(("identity", act), {act: lambda ps, node: ps[0]}, {act: net.data - act.data})
    if len(acts) > 1:
        yield "every activation left out (each net used as its out)", \
            _Replayed(("identity", "all"), {a: (lambda ps, node: ps[0]) for a in acts})
    if claim.kind == "grad":
        for act in acts:
            (net, d), = ctx.local[act]
            value = s.engine + s.up.get(act, 0.0) * (1.0 - d) * s.tangent.get(net, 0.0)
            yield f"the factor ∂{display_name(act)}/∂{display_name(net)} left out of the chain (taken as 1)", value
        if len(acts) > 1:
            g = ctx.grads_with(claim.node, {a: (lambda p, d: 1.0) for a in acts})
            yield "every activation's derivative left out of the chain", g.get(claim.wrt, 0.0)



def _chain(s):
    if s.claim.kind != "grad":
        return None
    try:
        b = chain_rule(s.claim.node, s.claim.wrt, through="labelled")
    except TooManyPathsError:
        return None
    return b if len(b.paths) >= 2 else None



def _missing_path(s):
    b = _chain(s)
    if b is None:
        return
    n = len(b.paths)
    total = b.total()
    for p in b.paths:
        route = " → ".join(b.names[v] for v in p.nodes)
        yield f"only the path {route} (one of {n} chain-rule paths)", p.product
        if n > 2:
            yield f"the path {route} left out (of {n})", total - p.product



def _paths_multiplied(s):
    b = _chain(s)
    if b is not None:
        yield f"the {len(b.paths)} paths' products multiplied instead of added", math.prod(p.product for p in b.paths)



def _updated_weights(s):
    ctx, lr = s.ctx, s.ctx.lr
    if lr is None or not ctx.params:
        return
    g = ctx.base.grads(ctx.root)
    after = {p: p.data - lr * g.get(p, 0.0) for p in ctx.params}
    yield "computed with the weights after the SGD step instead of before", \
        _Replayed(("updated", "all"), after, {p: a - p.data for p, a in after.items()})
    for p in ctx.params:
        if p in s.on_graph and after[p] != p.data and p.label is not None:
            yield (f"computed with {p.label} after the step ({after[p]:.10g}) instead of before "
                   f"({p.data:.10g})"), _Replayed(("updated", p), {p: after[p]}, {p: after[p] - p.data})

_GROUP = 16  # a role shared by more leaves (a wide layer's weights): each is swapped with its next

_NEIGHBOURS = 2  # ... this many in the graph's order (w.3 with w.4 and w.5), so the family stays linear



def _renumbered(s):
    ctx = s.ctx
    groups = {}
    for leaf in ctx.leaves:
        groups.setdefault(ctx.roles[leaf], []).append(leaf)
    for group in groups.values():
        for i, a in enumerate(group):
            for b in (group[i + 1:] if len(group) <= _GROUP else group[i + 1:i + 1 + _NEIGHBOURS]):
                if a.data != b.data and (a in s.on_graph or b in s.on_graph):
                    yield f"{a.label} and {b.label} swapped", \
                        _Replayed(("swap", a, b), {a: b.data, b: a.data}, {a: b.data - a.data, b: a.data - b.data})
    yield from _other(s, "renumbered")



def _other_node(s):
    yield from _other(s, "other-node")
    ctx, claim = s.ctx, s.claim
    if claim.kind == "grad":
        for other in ctx.labelled:
            if other is not claim.node and other.parents:
                value = ctx.base.grads(other).get(claim.wrt, 0.0)
                yield (f"the value of ∂{other.label}/∂{display_name(claim.wrt)} (another node) instead of "
                       f"{_describe(claim)}"), value



def _other(s, wanted):
    """The value of another labelled node (or parameter) in the claim's place: 'renumbered' between two
    leaves, 'other-node' otherwise."""
    ctx, claim, lr = s.ctx, s.claim, s.ctx.lr
    subject = claim.wrt if claim.kind == "grad" else claim.node
    for other in ctx.labelled:
        if other is subject or (claim.kind == "update" and other not in ctx.params):
            continue
        kind = "renumbered" if not other.parents and not subject.parents else "other-node"
        if kind != wanted:
            continue
        what = "parameter or input" if kind == "renumbered" else "node"
        if claim.kind == "data":
            value = other.data
        elif claim.kind == "grad":
            value = s.up.get(other, 0.0)
        else:
            value = other.data - lr * ctx.base.grads(ctx.root).get(other, 0.0)
        alt = _describe(_Claim(claim.kind, other if claim.kind != "grad" else claim.node, other))
        yield f"the value of {alt} (another {what}) instead of {_describe(claim)}", value



# The catalogue, simplest first: causes of equal standing are ranked in this order, then by closeness.
CATALOGUE = (
    ("sign", _sign),
    ("decimal-shift", _decimal_shift),
    ("early-rounding", _early_rounding),
    ("learning-rate", _learning_rate),
    ("factor-of-two", _factor_of_two),
    ("no-activation", _no_activation),
    ("missing-path", _missing_path),
    ("paths-multiplied", _paths_multiplied),
    ("updated-weights", _updated_weights),
    ("renumbered", _renumbered),
    ("other-node", _other_node),
)

KINDS = tuple(kind for kind, _ in CATALOGUE)

CROWD = 6  # this many different slips reproducing one number: any number would be explained



def _causes(ctx, claim, written, engine):
    s = _Search(ctx, claim, written, engine)
    found = {}
    for kind, family in CATALOGUE:
        for sentence, value in _evaluate(s, kind, family(s)):
            if (kind, sentence) not in found and s.matches(value):
                found[(kind, sentence)] = (kind, sentence, value)
    crowd = len(found) >= CROWD
    causes = []
    for kind, sentence, value in found.values():
        digits = _digits_reproduced(written, value)
        causes.append(Cause(kind, sentence, value, digits, crowd or digits <= 2))
    return sorted(causes, key=lambda c: (c.coincidence, -c.digits, KINDS.index(c.kind), abs(c.value - s.w)))



def _digits_reproduced(written, value):
    """Significant digits of `written` that `value` reproduces: all printed ones for a str (a cause agrees
    to them); for a number, those that agree (at most its shortest repr's, and 17)."""
    w, dec = _parse_written("written", written)
    printed = significant_digits(written)
    if (isinstance(written, str) and dec is not None) or value == w:
        return printed
    agree = int(math.floor(-math.log10(abs(value - w) / max(abs(w), abs(value), 1e-300))))
    return max(0, min(printed, agree))
