"""Check a hand derivation against the engine: a verdict for each written number, and for a wrong one the
common slips of hand derivations that reproduce it.

``check(root, {"out_h1": "0.59", "∂E_total/∂w5": "0.0821", "w5+": "0.35"}, lr=0.5)`` reads each claim's
value off the engine (a node's ``data``; a gradient by ``backward()``; a weight after one SGD step) and
compares it with the written number to its printed digits. A wrong number is re-derived under a catalogue
of slips (`CATALOGUE`: one small function per kind, `KINDS` read from it), each a re-evaluation of the
graph by the engine: a replay of it with some node replaced (`replay`; for a node's data only
the nodes between the slip and the claim), or its backward pass with some local derivatives changed (read
by `micrograd_lite.explain.local_derivatives`, never restated; one node's change is exact from one reverse
and one forward pass). A slip is named only when it reproduces the written digits. The cost per wrong claim
is a few passes over the graph: a large family of replays of a gradient is first screened by its
first-order estimate. The catalogue is `slips`; reading claims, `claims`.
"""

import math
import shutil
import textwrap

from ..checks import short_repr
from ..engine import Value
from ..modes import _Mode
from .claims import _agreement, _Claim, _parse_name
from .slips import CATALOGUE, _causes, _evaluate, _Search
from .worlds import _Context

__all__ = ["check", "claim_value", "slip_values", "CheckReport", "CheckResult"]


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
