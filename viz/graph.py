"""`draw_dot`: a `Value`'s computation graph as a `graphviz.Digraph` (needs no Graphviz binary).

What the picture shows:
- one record node per Value: ``label | data … | grad …`` (the label only when set; numbers to 4
  significant digits, Python's ``.4g`` format); a constant (an unlabelled leaf not in ``params``) is only
  its ``data``: it has no gradient to show;
- one small ellipse per operation (``+``, ``*``, ``dot``, ``sigmoid``, …: the engine's op names) between
  the operands and the Value it produced; edges point the way data flows, operands -> op -> result;
- the fill colour says what a Value is: a leaf listed in ``params`` is a parameter (blue), any other leaf
  is an input or a constant (grey), a computed Value is an intermediate (white). The engine does not
  record which leaves are parameters (it has no ``requires_grad``), so the caller says which, e.g.
  ``params=model.parameters()``;
- ``highlight``: every node and edge on a path from the highlighted Values to the root, in
  `HIGHLIGHT_COLOR`.

Node ids are positions in `micrograd_lite.topological_order` (``v0``, ``v1``, … and ``v7_op`` for the op
that made ``v7``), never ``id()``: the same graph gives byte-identical DOT source in every run.
"""

import graphviz

from micrograd_lite import Module, Value, topological_order
from micrograd_lite.explain import on_paths

__all__ = ["draw_dot", "GraphTooLargeError", "HIGHLIGHT_COLOR", "PARAMETER_COLOR", "INPUT_COLOR",
           "MAX_NODES"]

# Past a few hundred Values the picture is unreadable and dot's layout time grows about quadratically.
MAX_NODES = 400
RANKDIRS = ("LR", "TB", "RL", "BT")

HIGHLIGHT_COLOR = "#d62728"  # red: the paths of `highlight`
PARAMETER_COLOR = "#c6dbef"  # light blue: leaves listed in `params`
INPUT_COLOR = "#e0e0e0"      # light grey: other leaves (inputs, constants)
COMPUTED_COLOR = "white"     # intermediate (computed) Values

# Record labels treat these as syntax; DOT strings treat backslash and double quote as escapes.
_RECORD_SPECIAL = {c: "\\" + c for c in '\\{}|<>"'}
_RECORD_SPECIAL["\n"] = "\\n"
# dot rejects a NUL byte and control characters make no sense in a picture: each is drawn as its Unicode
# control picture (NUL as ␀, U+2400), so any label draws.
_RECORD_SPECIAL.update({chr(c): chr(0x2400 + c) for c in range(32) if chr(c) not in "\n"})
_RECORD_SPECIAL["\x7f"] = "\u2421"
_RECORD_SPECIAL["&"] = "&amp;"  # dot reads HTML entities in labels: a label "&amp;" is drawn as written


class GraphTooLargeError(ValueError):
    """Raised by `draw_dot` when the graph has more Values than ``max_nodes``."""


def check_size(root, order, max_nodes, caller):
    """Raise `GraphTooLargeError`, its message starting with `caller`, when `order` (the graph of `root` in
    topological order) has more than `max_nodes` Values; ValueError for a `max_nodes` that is not an int >= 1."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"{caller}: max_nodes must be a positive int, got {max_nodes!r}")
    if len(order) > max_nodes:
        raise GraphTooLargeError(
            f"{caller}: the graph of {root!r} has {len(order):,} Values, more than max_nodes={max_nodes}. "
            f"Draw a part of it by passing an intermediate Value as root (e.g. one neuron's output or one "
            f"example's loss), or raise max_nodes (dot's layout slows down sharply past a few hundred).")


def _record_text(text):
    """`text` escaped for one field of a Graphviz record label."""
    return "".join(_RECORD_SPECIAL.get(c, c) for c in text)


def _number(x):
    """A float to 4 significant digits (``0.0004385677`` -> ``'0.0004386'``)."""
    return format(x, ".4g")


def _value_list(arg, name):
    """`arg` (a Value, an iterable of Values, a Module, or None) as a list of Values; TypeError names
    `name` and the culprit."""
    if arg is None:
        return []
    if isinstance(arg, Value):
        return [arg]
    if isinstance(arg, Module):
        return arg.parameters()
    try:
        items = list(arg)
    except TypeError:
        raise TypeError(f"draw_dot: {name} must be a Value or an iterable of Values, "
                        f"got {type(arg).__name__} {arg!r}") from None
    for v in items:
        if not isinstance(v, Value):
            raise TypeError(f"draw_dot: {name} must be Values, got {type(v).__name__} {v!r}")
    return items


def draw_dot(root, *, rankdir="LR", show_grad=True, max_nodes=MAX_NODES, highlight=None, params=None,
             edge_labels=None):
    """Draw the computation graph that produced `root` (a `Value`); returns a `graphviz.Digraph`.

    `rankdir`: layout direction, ``'LR'`` (left to right, default), ``'TB'``, ``'RL'`` or ``'BT'``.
    `show_grad`: also print each Value's ``grad`` (run ``root.backward()`` first for it to mean anything).
    `max_nodes`: the most Values drawn (default `MAX_NODES` = 400).
    `highlight`: a Value of the graph, usually a leaf such as a weight (or a list of them): every path from
    it to `root` is drawn in `HIGHLIGHT_COLOR`, e.g. the two paths from w1 to E_total in the notes' network.
    `params`: the parameters (an iterable of Values, or a `Module` for its ``parameters()``), filled blue;
    other leaves are filled grey (inputs and constants), computed Values white. Values not in the graph
    are ignored.
    `edge_labels`: ``{(parent, node): text}``, a label on the edge from `parent` into `node`'s op (once, when
    `parent` is several operands of `node`); `viz.backward_page` writes ``upstream × local = contribution``
    there. Pairs not in the graph are ignored.

    The Digraph displays inline in Jupyter; ``.source`` is its DOT text; `viz.render` writes a file.
    Raises TypeError when `root`, `highlight`, `params` or one of their items is not a Value, ValueError for an
    unknown `rankdir`, a `max_nodes` below 1, or a highlighted Value that `root` does not depend on, and
    `GraphTooLargeError` (a ValueError) when the graph has more than `max_nodes` Values.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__} {root!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot: max_nodes must be a positive int, got {max_nodes!r}")
    marked = _value_list(highlight, "highlight")
    parameters = set(_value_list(params, "params"))

    order = topological_order(root)
    check_size(root, order, max_nodes, "draw_dot")
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    for v in marked:
        if v not in ids:
            raise ValueError(f"draw_dot: highlight {v!r} is not in the graph of {root!r}")

    on_path = on_paths(order, marked)

    # The graph's name becomes the SVG's <title> (a browser's tab name); graphviz's default is "%3".
    dot = graphviz.Digraph("micrograd_lite", graph_attr={"rankdir": rankdir},
                           node_attr={"fontname": "Helvetica", "fontsize": "11"},
                           edge_attr={"arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "10"})
    for v in order:
        vid = ids[v]
        fields = [] if v.label is None else [_record_text(str(v.label))]
        fields.append(f"data {_number(v.data)}")
        if show_grad and (v.parents or v.label is not None or v in parameters):
            fields.append(f"grad {_number(v.grad)}")  # a constant is a number, with no gradient to show
        fill = COMPUTED_COLOR if v.parents else PARAMETER_COLOR if v in parameters else INPUT_COLOR
        style = _highlighted() if v in on_path else {}
        dot.node(vid, "{" + "|".join(fields) + "}", shape="record", style="filled", fillcolor=fill, **style)
        if not v.parents:
            continue
        op = f"{vid}_op"
        dot.node(op, v.op, shape="ellipse", fontsize="11", width="0.4", height="0.3",
                 margin="0.04,0.02", **style)
        labelled = set()  # a repeated operand (a * a) gets one edge per use and one label
        for p in v.parents:
            attrs = _highlighted() if v in on_path and p in on_path else {}
            if edge_labels and (p, v) in edge_labels and p not in labelled:
                attrs["label"] = str(edge_labels[p, v])
                labelled.add(p)
            dot.edge(ids[p], op, **attrs)
        dot.edge(op, vid, **style)
    return dot


def _highlighted():
    """Attributes of a node or edge on a highlighted path."""
    return {"color": HIGHLIGHT_COLOR, "penwidth": "2"}
