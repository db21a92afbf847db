"""Check a hand derivation against the engine: a verdict for each written number, and for a wrong one the
common slips of hand derivations that reproduce it.

``check(root, {"out_h1": "0.59", "∂E_total/∂w5": "0.0821", "w5+": "0.35"}, lr=0.5)`` reads each claim's
value off the engine (a node's ``data``; a gradient by ``backward()``; a weight after one SGD step) and
compares it with the written number to its printed digits. A wrong number is re-derived under a catalogue
of slips (`CATALOGUE`: one small function per kind, `KINDS` read from it), each a re-evaluation of the
graph by the engine: a replay of it with some node replaced (`micrograd_lite.replay`; for a node's data only
the nodes between the slip and the claim), or its backward pass with some local derivatives changed (read
by `micrograd_lite.explain.local_derivatives`, never restated; one node's change is exact from one reverse
and one forward pass). A slip is named only when it reproduces the written digits. The cost per wrong claim
is a few passes over the graph: a large family of replays of a gradient is first screened by its
first-order estimate. Also exported from `micrograd_lite.explain`.
"""

import heapq
import math
import re
import shutil
import textwrap
from decimal import ROUND_DOWN, Decimal, InvalidOperation, localcontext
from fractions import Fraction

from .checks import short_repr
from .engine import Value, topological_order
from .modes import _Mode
from .replay import _recompute, replay

__all__ = ["check", "claim_value", "slip_values", "CheckReport", "CheckResult", "Cause", "CATALOGUE", "KINDS",
           "agreement", "significant_digits", "Unreadable"]

ACTIVATIONS = ("sigmoid", "tanh", "relu")
EXACT = 1e-9  # a float claim means "exact": relative tolerance (absolute below 1)


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


class CheckResult:
    """One claim checked: `name`, `written` (as given), `value` (the engine's, a float; None when the name
    cannot be read), `verdict` (``"correct"``, ``"truncated"``, ``"wrong"`` or ``"unreadable"``), `causes`
    (a list of `Cause`, ranked; empty unless wrong, and empty when no known slip reproduces it) and `reason`
    (why an unreadable claim cannot be read, else "")."""

    __slots__ = ("name", "written", "value", "verdict", "causes", "reason", "_error")

    def __init__(self, name, written, value, verdict, causes, reason=""):
        self.name, self.written, self.value, self.verdict, self.causes = name, written, value, verdict, causes
        self.reason, self._error = reason, None

    def likely_cause(self):
        """The first cause's sentence, "no known slip reproduces it" for a wrong claim without one, the
        reason of an unreadable claim, else ""."""
        if self.verdict == "unreadable":
            return self.reason
        if self.verdict != "wrong":
            return ""
        return f"{self.causes[0].kind}: {self.causes[0].sentence}" if self.causes else "no known slip reproduces it"

    def __repr__(self):
        return (f"CheckResult({self.name!r}, written={self.written!r}, value={self.value!r}, "
                f"verdict={self.verdict!r}, {len(self.causes)} causes)")


class CheckReport:
    """The result of `check`: ``items``, a list of `CheckResult` in the claims' order; ``report[name]`` is
    one of them. ``str(report)`` is `format()` at the terminal's width: claim, written, engine, verdict and
    every cause, ranked."""

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
        return self.format()

    def format(self, width=None):
        """The table as text no wider than `width` columns (default: the terminal's,
        ``shutil.get_terminal_size``, and at least 60): claim, written, engine, verdict, then the causes, each
        on its own line, ranked ("possibly a coincidence" where it may be one), the reason of an unreadable
        claim, or "no known slip reproduces it". Sentences wrap; when the four columns leave fewer than 32
        columns, each claim's causes go on the lines below it."""
        if width is None:
            width = shutil.get_terminal_size().columns
        width = max(MIN_WIDTH, int(width))
        head = ("claim", "written", "engine", "verdict")
        rows = [(str(r.name).strip() or repr(r.name), str(r.written), "—" if r.value is None else f"{r.value:.10g}",
                 r.verdict) for r in self.items]
        notes = [_notes(r) for r in self.items]
        cols = [max(len(head[c]), *(len(row[c]) for row in rows)) if rows else len(head[c]) for c in range(4)]
        side = width - sum(cols) - 8
        if side >= 32:
            cols.append(side)
            lines = _grid([(*head, "causes, ranked")], cols) + ["  ".join("-" * c for c in cols[:4]) + "  " + "-" * 14]
            for row, note in zip(rows, notes):
                lines += _grid([(*row, "\n".join(note))], cols)
            return "\n".join(lines)
        while sum(cols) + 6 > width:  # narrow: shrink the widest column
            i = cols.index(max(cols))
            cols[i] -= 1
        lines = _grid([head], cols) + ["  ".join("-" * c for c in cols)]
        for row, note in zip(rows, notes):
            lines += _grid([row], cols)
            for text in note:
                lines += textwrap.wrap(text, width, initial_indent="    ", subsequent_indent="      ",
                                       break_long_words=True) or [""]
        return "\n".join(lines)


MIN_WIDTH = 60


def _notes(item):
    """The lines of an item's last column: each cause (numbered), the reason, or the verdict's note."""
    if item.verdict == "unreadable":
        return [item.reason]
    if item.verdict != "wrong":
        return []
    if not item.causes:
        return ["no known slip reproduces it"]
    return [f"{i}. {c}" for i, c in enumerate(item.causes, 1)] if len(item.causes) > 1 else [str(item.causes[0])]


def _grid(rows, cols):
    """Rows of cells laid out in columns of widths `cols`, each cell wrapped to its column (a cell may hold
    several paragraphs, one per line), two spaces between columns, no trailing spaces."""
    out = []
    for row in rows:
        cells = []
        for text, w in zip(row, cols):
            lines = []
            for para in str(text).split("\n"):
                lines += textwrap.wrap(para, w, subsequent_indent="  " if len(row) == len(cols) and w > 20 else "",
                                       break_long_words=True, break_on_hyphens=False) or [""]
            cells.append(lines)
        for k in range(max(len(c) for c in cells)):
            out.append("  ".join((c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, cols)).rstrip())
    return out


# ---- the written numbers ------------------------------------------------------------------------------------
class Unreadable(ValueError):
    """A claim whose name or written number cannot be read: its verdict is "unreadable", with this reason."""


_COMMA = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
_PREC = 2000  # Decimal digits for the truncation test: a claim may print more digits than the context's 28


def _parse_written(name, written):
    """(float, Decimal or None): the written number and its printed digits (None: exact, to 1e-9).

    A str's printed digits set the tolerance; a decimal comma ("0,5") and the Unicode minus are read as the
    notes write them; a str fraction like "1/2" and an int are exact; a float is read by its shortest repr
    (0.49001 has 5 significant digits), and never tighter than 1e-9 relative. Raises `Unreadable` (a
    ValueError) for text that is no number, a non-finite number, or one outside the float range (1e400,
    1e-400), and TypeError for a written value that is neither a str nor a number."""
    if isinstance(written, bool) or not isinstance(written, (str, int, float)):
        raise TypeError(f"check: claim {name!r}: the written number must be a str (as written) or a number, "
                        f"got {type(written).__name__} {short_repr(written)}")
    if isinstance(written, int):
        try:
            return float(written), None
        except OverflowError:
            raise Unreadable(f"check: claim {name!r}: the written number {short_repr(written)} is outside the "
                             f"float range") from None
    if isinstance(written, float):
        if not math.isfinite(written):
            raise Unreadable(f"check: claim {name!r}: the written number {written!r} is not finite")
        return written, Decimal(repr(written))
    text = written.strip().replace("\u2212", "-")
    if _COMMA.fullmatch(text):
        text = text.replace(",", ".")
    try:
        if "/" in text:
            return float(Fraction(text)), None
        dec = Decimal(text)
    except (InvalidOperation, ValueError, ZeroDivisionError, OverflowError):
        raise Unreadable(f"check: claim {name!r}: cannot read the written number {written!r} "
                         f"(write it as Python would, e.g. '0.35', '-1.5e-3', '1/2', or with a decimal "
                         f"comma '0,35')") from None
    if not dec.is_finite():
        raise Unreadable(f"check: claim {name!r}: the written number {written!r} is not finite")
    w = float(dec)
    if not math.isfinite(w) or (w == 0.0 and dec != 0):
        raise Unreadable(f"check: claim {name!r}: the written number {written!r} is outside the float range "
                         f"(about 1e-308 to 1e308 in size)")
    return w, dec


def agreement(written, value):
    """How `value` (a float) agrees with `written` (a str as printed, or a number: an int exact to 1e-9,
    a float to the digits of its shortest repr): ``"correct"`` (within half a unit of its last printed
    digit, or within 1e-9, relative above 1), ``"truncated"`` (not that, but `value` cut, not rounded, to
    the printed digits gives it) or None. A printed zero keeps its sign: "-0.00" is not the rounding of
    +0.003. Raises `Unreadable` (a ValueError) or TypeError for a written number `check` calls unreadable."""
    return _agreement("written", written, value)


def _agreement(name, written, value):
    w, dec = _parse_written(name, written)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    if abs(value - w) <= EXACT * max(1.0, abs(value)):
        if dec is None or w != 0.0 or abs(value) < 1e-12 or dec.is_signed() == (value < 0):
            return "correct"
    if dec is None:
        return None
    if w == 0.0 and abs(value) >= 1e-12 and dec.is_signed() != (value < 0):
        return None
    quantum = Decimal(1).scaleb(dec.as_tuple().exponent)
    if abs(value - w) <= 0.5 * float(quantum) * (1 + 1e-9):  # the fuzz: 0.445 is 0.44499999... in binary
        return "correct"
    with localcontext() as ctx:
        ctx.prec = _PREC
        if Decimal(repr(value)).quantize(quantum, rounding=ROUND_DOWN) == dec:
            return "truncated"
    return None


def significant_digits(written):
    """How many significant digits `written` (as `check` reads it) prints: "0.0821" 3, "-1.5e-3" 2,
    0.49001 5; an exact number (an int, "1/2") counts as 17."""
    _, dec = _parse_written("written", written)
    if dec is None:
        return 17
    digits = dec.as_tuple().digits
    return max(1, len(digits) - next((i for i, d in enumerate(digits) if d), len(digits)))


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
        self._cones = {}
        self.pos = {n: i for i, n in enumerate(self.order)}
        self.children = {}
        for node in self.order:
            for p in set(node.parents):
                self.children.setdefault(p, []).append(node)

    def data_with(self, target, substitute):
        """`target`'s data with `substitute` (as `replay` takes it) applied: only the nodes computed from a
        substituted one, on the way to `target`, are recomputed, by their ops on the engine (new Values whose
        parents may be the graph's own: nothing of the graph changes). None if a slip leaves an op's domain."""
        cone = self.cone(target)
        new, heap = {}, sorted(self.pos[n] for n in substitute if n in cone)
        queued = set(heap)
        try:
            while heap:
                node = self.order[heapq.heappop(heap)]
                ps = [new.get(p, p) for p in node.parents]
                rule = substitute.get(node)
                if rule is None:
                    out = _recompute(node, ps)
                elif callable(rule):
                    out = rule(ps, node)
                else:
                    out = Value(float(rule))
                new[node] = out
                for child in self.children.get(node, ()):
                    i = self.pos[child]
                    if child in cone and i not in queued:
                        queued.add(i)
                        heapq.heappush(heap, i)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        return new[target].data if target in new else target.data

    def world(self, key, substitute):
        if key not in self._worlds:
            try:
                self._worlds[key] = _World(self.root, substitute)
            except (ValueError, ZeroDivisionError, OverflowError):  # the slip leaves an op's domain
                self._worlds[key] = None
        return self._worlds[key]

    def cone(self, node):
        """The set of nodes `node` is computed from (itself included)."""
        if node not in self._cones:
            self._cones[node] = set(topological_order(node))
        return self._cones[node]

    def tangent(self, wrt):
        """{node: d node / d wrt}, forward through the local derivatives from `wrt` (its own parents
        ignored, as a gradient with respect to an intermediate node is read)."""
        t = {wrt: 1.0}
        for node in self.order:
            if node is wrt or not node.parents:
                continue
            s = 0.0
            for parent, d in self.local[node]:
                tp = t.get(parent)
                if tp:
                    s += d * tp
            if s:
                t[node] = s
        return t

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
    from .autograd import grad
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
                yield (f"the derivative of {_name(node)} taken with the wrong sign (t − o differentiated as "
                       f"o − t)"), s.changed_locals(node, -1.0)


def _decimal_shift(s):
    ctx, claim = s.ctx, s.claim
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
                yield (f"the 2 of d{_name(node)}/d{_name(a)} = 2·{_name(a)} dropped "
                       f"(½(t − o)² differentiated as (t − o)/2)"), s.changed_locals(node, 0.5)
                yield f"the 2 of d{_name(node)}/d{_name(a)} = 2·{_name(a)} applied twice", \
                    s.changed_locals(node, 2.0)
        elif node.op == "*" and (_is_const(a, 0.5) or _is_const(b, 0.5)):
            other = b if _is_const(a, 0.5) else a
            if claim.kind == "grad":
                yield f"the ½ of ½·{_name(other)} dropped (½(t − o)² differentiated as 2(t − o))", \
                    s.changed_locals(node, 2.0)
            else:
                yield f"the ½ of ½·{_name(other)} left out", \
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
        yield f"{_name(net)} used as {_name(act)} (the {act.op} left out), also downstream", \
            _Replayed(("identity", act), {act: lambda ps, node: ps[0]}, {act: net.data - act.data})
    if len(acts) > 1:
        yield "every activation left out (each net used as its out)", \
            _Replayed(("identity", "all"), {a: (lambda ps, node: ps[0]) for a in acts})
    if claim.kind == "grad":
        for act in acts:
            (net, d), = ctx.local[act]
            value = s.engine + s.up.get(act, 0.0) * (1.0 - d) * s.tangent.get(net, 0.0)
            yield f"the factor ∂{_name(act)}/∂{_name(net)} left out of the chain (taken as 1)", value
        if len(acts) > 1:
            g = ctx.grads_with(claim.node, {a: (lambda p, d: 1.0) for a in acts})
            yield "every activation's derivative left out of the chain", g.get(claim.wrt, 0.0)


def _chain(s):
    from .explain import TooManyPathsError, chain_rule
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
    ctx, claim, lr = s.ctx, s.claim, s.ctx.lr
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
    ctx, claim = s.ctx, s.claim
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
                yield (f"the value of ∂{other.label}/∂{_name(claim.wrt)} (another node) instead of "
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


# ---- public ----------------------------------------------------------------------------------------------
def claim_value(root, name, *, lr=None):
    """The engine's value of one claim name (see `check`): a node's ``data``, a gradient by ``backward()``
    on a replay of the graph (the graph's own grads are left alone), or a weight after one SGD step with
    `lr`. Raises KeyError, listing the known labels, for a name that is no label (or names several nodes),
    ValueError for a ``+`` claim without `lr`, TypeError for a name that is not a str."""
    item = check(root, {name: 0.0}, lr=lr, explain=False).items[0]
    if item.verdict == "unreadable":
        raise item._error
    return item.value


def slip_values(root, nodes, *, params=None):
    """What each slip of the catalogue makes of the gradients d root / d node, for every node of `nodes`
    (Values of root's graph): {node: [(kind, sentence, value)]}, in `CATALOGUE` order, the values as the
    engine re-evaluates them (every replay, none screened out), without the engine's own value. For a page
    that must name a learner's slip before it knows the learner's number (`viz.backward_page`'s exercise).
    `params`: as `check`'s. Raises TypeError when `root` is not a Value."""
    if not isinstance(root, Value):
        raise TypeError(f"slip_values: root must be a Value, got {type(root).__name__} {short_repr(root)}")
    out = {}
    with _Recording():
        ctx = _Context(root, None, params)
        for node in nodes:
            claim = _Claim("grad", root, node)
            engine = ctx.base.value(claim, None)
            search = _Search(ctx, claim, repr(engine), engine)
            out[node] = [(kind, sentence, value) for kind, family in CATALOGUE
                         for sentence, value in _evaluate(search, kind, family(search), screen=False)
                         if value != engine]
    return out


class _Recording(_Mode):
    """Inside check: ops record their graph (also when called inside ``no_grad()``) and no anomaly check
    interrupts a slip that leaves an op's domain (its world is then dropped)."""

    def _switch(self, recording, anomaly):
        return True, False


def check(root, claims, *, lr=None, params=None, explain=True):
    """Check written numbers against the engine; returns a `CheckReport`.

    `root`: the Value the derivation is about (a loss). `claims`: a dict name -> the learner's number as
    written: a str (its printed digits set the tolerance: "0.59" is right for 0.5933, "truncated" for
    0.5989; a decimal comma "0,59" and the Unicode minus are read too), or a number (an int is exact to
    1e-9, a float is read by its shortest repr: 0.49001 to 5 significant digits). Names:
      - a node's label, for its ``data`` (``"out_h1"``);
      - ``"∂E_total/∂w5"`` or ``"dE_total/dw5"``, for a gradient: d A / d B for two labels (A is usually the
        root; any labelled node works, e.g. a local derivative ``"∂out_o1/∂net_o1"``);
      - ``"w5+"``, for w5 after one SGD step ``w5 - lr * ∂root/∂w5`` (needs `lr`).
    `lr`: the learning rate (a float) of ``+`` claims and of the slips that involve the step. `params`: the
    Values an SGD step updates, for the "updated-weights" slips (default: every labelled leaf).
    `explain=False` skips the search for causes. Works the same inside ``no_grad()``.

    Verdicts: "correct", "truncated" (right, but cut instead of rounded), "wrong", or "unreadable" (the
    name or the written number cannot be read: an unknown or ambiguous label, a ``+`` claim without `lr`,
    text that is no number, a non-finite number or one outside the float range; `reason` says which, and
    the other claims are still judged). For a wrong claim, `causes` lists the slips of `KINDS` whose
    re-evaluation reproduces the written number to its printed digits, ranked (see `Cause`); empty means no
    known slip reproduces it. A correct claim is never "wrong", and a cause is listed only when it
    reproduces the written digits.

    Raises TypeError when `root` is not a Value, `claims` is not a dict or `lr` is not a finite number."""
    if not isinstance(root, Value):
        raise TypeError(f"check: root must be a Value, got {type(root).__name__} {short_repr(root)}")
    if not isinstance(claims, dict):
        raise TypeError(f"check: claims must be a dict name -> written number, got {type(claims).__name__}")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr)):
        raise TypeError(f"check: lr must be a finite number or None, got {short_repr(lr)}")
    with _Recording():
        ctx = _Context(root, lr, params)
        items = []
        for name, written in claims.items():
            try:
                claim = _parse_name(name, ctx.index)
                if claim.kind == "update" and lr is None:
                    raise ValueError(f"check: claim {name!r} is a value after one SGD step and needs lr=")
            except (KeyError, ValueError, TypeError) as exc:
                items.append(_unreadable(name, written, None, exc))
                continue
            value = claim.node.data if claim.kind == "data" else ctx.base.value(claim, lr)
            try:
                verdict = _agreement(name, written, value) or "wrong"
            except (ValueError, TypeError) as exc:
                items.append(_unreadable(name, written, value, exc))
                continue
            causes = _causes(ctx, claim, written, value) if verdict == "wrong" and explain else []
            items.append(CheckResult(name, written, value, verdict, causes))
    return CheckReport(items)


def _unreadable(name, written, value, exc):
    reason = exc.args[0] if exc.args else str(exc)
    item = CheckResult(name, written, value, "unreadable", [], reason=reason.removeprefix("check: "))
    item._error = exc
    return item
