"""`backward_page`: one self-contained HTML file that steps through ``backward()`` (or the forward pass).

The page is the graph `draw_dot` draws, laid out by Graphviz's ``dot`` into SVG and inlined, plus a small
inline script and stylesheet: it opens from ``file://`` with no server, no network and no CDN.

The steps are data, computed here in Python and replayed by the script, which only swaps texts and CSS
classes (it never computes a number):
- backward mode: one step per closure run, as `micrograd_lite.explain.trace_backward` lists them. The step's
  node is highlighted and its grad shows the upstream gradient; each edge to a parent shows
  ``upstream × local = contribution`` and the parent's grad shows its running value. After the last step
  every grad on the page is the one ``backward()`` gives (to the 4 significant digits the picture prints).
- forward mode: one step per computed Value in topological order, filling in its data from its operands'.

Controls: buttons ``step``, ``back``, ``play`` (``pause`` while playing) and ``reset`` (element ids as the
names), the arrow keys (→ step, ← back) and Home (reset). ``#status`` reads ``step k / n: ...`` and names the
node; ``#detail`` prints the step in the notes' notation (`BackwardTrace.format_step`).
"""

import html
import json
import os

from micrograd_lite import Value, topological_order
from micrograd_lite.explain import trace_backward

from .graph import MAX_NODES, _number, draw_dot
from .render import pipe

__all__ = ["backward_page", "MODES", "PLAY_INTERVAL_MS"]

MODES = ("backward", "forward")
PLAY_INTERVAL_MS = 800  # time between two steps when playing: long enough to read an edge label

_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1em; color: #222; }
h1 { font-size: 1.2em; margin: 0 0 .3em; }
.help { color: #555; margin: 0 0 .5em; }
.controls button { font-size: 1em; min-width: 5em; margin-right: .3em; }
#status { font-weight: bold; margin: .6em 0 .2em; }
#detail { background: #f6f6f6; padding: .4em .6em; min-height: 1.2em; white-space: pre-wrap; margin: 0 0 .6em; }
#graph { overflow-x: auto; }  /* the graph at dot's size, readable; wide ones scroll */
.edge text { visibility: hidden; }
.edge.done text { visibility: visible; fill: #999; }
.edge.active text { visibility: visible; fill: #d62728; font-weight: bold; }
.edge.active path { stroke: #d62728; stroke-width: 2.5px; }
.edge.active polygon { stroke: #d62728; fill: #d62728; }
.node.done polygon, .node.done ellipse { stroke: #777; }
.node.current polygon, .node.current ellipse { stroke: #d62728; stroke-width: 3px; }
.node.current > polygon { fill: #fff2b3; }
.node.touched > polygon { fill: #fde0dd; }
"""

# Replays the steps: texts and classes only. data.fields names the record's last fields in order
# (["data", "grad"] or ["data"]), so a field is found from the end of the node's texts whatever its label is.
_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("steps").textContent);
  var steps = data.steps, n = steps.length, current = 0, timer = null;
  var svg = document.querySelector("#graph svg");
  var nodes = {}, edges = {}, texts = {};
  svg.querySelectorAll("g.node").forEach(function (g) {
    var id = g.querySelector("title").textContent;
    nodes[id] = g;
    texts[id] = g.querySelectorAll("text");
  });
  svg.querySelectorAll("g.edge").forEach(function (g) {
    var id = g.querySelector("title").textContent;
    (edges[id] = edges[id] || []).push(g);
  });
  var status = document.getElementById("status"), detail = document.getElementById("detail");
  var buttons = {};
  ["step", "back", "play", "reset"].forEach(function (id) { buttons[id] = document.getElementById(id); });

  function setField(change) {
    var t = texts[change[0]], offset = data.fields.length - data.fields.indexOf(change[1]);
    t[t.length - offset].textContent = change[2];
  }
  function mark(ids, table, cls) {
    ids.forEach(function (id) { (table === nodes ? [nodes[id]] : edges[id] || []).forEach(function (g) {
      g.classList.add(cls); }); });
  }
  function show(k) {
    current = Math.max(0, Math.min(k, n));
    data.initial.forEach(setField);
    ["current", "done", "touched"].forEach(function (c) {
      svg.querySelectorAll("g.node." + c).forEach(function (g) { g.classList.remove(c); }); });
    ["active", "done"].forEach(function (c) {
      svg.querySelectorAll("g.edge." + c).forEach(function (g) { g.classList.remove(c); }); });
    for (var i = 0; i < current; i++) {
      var s = steps[i], last = i === current - 1;
      s.set.forEach(setField);
      mark(s.nodes, nodes, last ? "current" : "done");
      mark(s.edges, edges, last ? "active" : "done");
      if (last) { mark(s.touched, nodes, "touched"); }
    }
    status.textContent = current ? steps[current - 1].status : data.start;
    detail.textContent = current ? steps[current - 1].detail : "";
    buttons.back.disabled = current === 0;
    buttons.step.disabled = current === n;
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    buttons.play.textContent = "play";
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (current === n) { show(0); }
    buttons.play.textContent = "pause";
    timer = setInterval(function () { show(current + 1); if (current === n) { stop(); } }, data.interval);
  }
  buttons.step.addEventListener("click", function () { stop(); show(current + 1); });
  buttons.back.addEventListener("click", function () { stop(); show(current - 1); });
  buttons.reset.addEventListener("click", function () { stop(); show(0); });
  buttons.play.addEventListener("click", play);
  document.addEventListener("keydown", function (e) {
    var keys = {ArrowRight: function () { show(current + 1); }, ArrowLeft: function () { show(current - 1); },
                Home: function () { show(0); }};
    if (keys[e.key]) { e.preventDefault(); stop(); keys[e.key](); }
  });
  show(0);
})();
"""


def backward_page(root, path, mode="backward", *, title=None, rankdir="LR", params=None, max_nodes=MAX_NODES):
    """Write a page stepping through the backward (or forward) pass of `root`'s graph to `path`; returns `path`.

    `root`: a `Value` computed from others (usually a loss); `path`: str or path-like, the HTML file to write
    (its folder must exist). `mode`: ``'backward'`` (default: one step per closure run of ``backward()``, from
    `micrograd_lite.explain.trace_backward`; the page starts with every grad empty) or ``'forward'`` (one step
    per computed Value in topological order; the page starts with only the leaves' data). `title`: the page's
    heading (default: what it shows and the root's name). `rankdir`, `params`, `max_nodes`: as `draw_dot`.

    The page reads the graph's current ``data``; the graph's grads are left as they were (the backward steps
    start from zero as after ``zero_grad()``, so the page's last step shows what one ``root.backward()`` on
    zeroed grads gives, whatever ``grad`` holds now). Numbers in the graph have 4 significant digits, in
    ``#detail`` 6 decimals.

    Raises TypeError when `root` is not a Value, ValueError for an unknown `mode` or a `root` with no parents
    (a leaf: there is nothing to step through), FileNotFoundError when the folder of `path` does not exist,
    whatever `draw_dot` raises (`GraphTooLargeError` past `max_nodes` Values), `viz.GraphvizNotFoundError`
    when ``dot`` is missing, and RuntimeError when it gives no SVG. The file is written only once everything
    has succeeded, so on any error an existing file at `path` is left untouched.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_page: root must be a Value, got {type(root).__name__} {root!r}")
    if mode not in MODES:
        raise ValueError(f"backward_page: mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
    if not root.parents:
        raise ValueError(f"backward_page: root {root!r} is a leaf (it has no parents): there is no pass to step "
                         f"through; pass a Value computed from others, such as a loss")
    name = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(name))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"backward_page: cannot write {name!r}: folder {folder!r} does not exist")

    order = topological_order(root)
    ids = {v: f"v{i}" for i, v in enumerate(order)}  # draw_dot's node ids
    trace = trace_backward(root)
    if mode == "backward":
        page = _backward_steps(trace, ids)
        labels = {(e.parent, s.node): f"{_number(s.upstream)} × {_number(e.local)} = {_number(e.contribution)}"
                  for s in trace for e in s.edges}
        saved = [v.grad for v in order]
        try:  # lay the records out with the final grads in them, so the numbers the steps write in fit
            for v in order:
                v.grad = trace.grads[v]
            graph = draw_dot(root, rankdir=rankdir, params=params, max_nodes=max_nodes, edge_labels=labels)
        finally:
            for v, g in zip(order, saved):
                v.grad = g
        heading = title or f"backward() from {trace.names[root]}, step by step"
    else:
        page = _forward_steps(order, trace.names, ids)
        graph = draw_dot(root, rankdir=rankdir, params=params, max_nodes=max_nodes, show_grad=False)
        heading = title or f"The forward pass to {trace.names[root]}, step by step"
    svg = pipe(graph, "svg", "backward_page").decode("utf-8")
    if "<svg" not in svg:
        raise RuntimeError(f"backward_page: Graphviz's dot gave no SVG (its output starts {svg[:80]!r}); "
                           f"check that `dot -Tsvg` works")
    svg = svg[svg.index("<svg"):]  # drop the XML declaration and doctype: the SVG is inlined in HTML
    text = _html(heading, svg, {**page, "interval": PLAY_INTERVAL_MS})
    with open(name, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def _backward_steps(trace, ids):
    """The page's data for backward mode: each step sets the node's grad to its upstream gradient and each
    parent's grad to its running value."""
    steps = []
    for k, s in enumerate(trace.steps, 1):
        set_ = [[ids[s.node], "grad", f"grad {_number(s.upstream)}"]]
        set_ += [[ids[e.parent], "grad", f"grad {_number(e.running)}"] for e in s.edges]
        steps.append({
            "status": f"step {k} / {len(trace)}: {s.name} = {s.op}({', '.join(e.name for e in s.edges)}), "
                      f"∂{trace.names[trace.root]}/∂{s.name} = {_number(s.upstream)}",
            "detail": trace.format_step(s),
            "set": set_,
            "nodes": [ids[s.node], f"{ids[s.node]}_op"],
            "touched": [ids[e.parent] for e in s.edges],
            "edges": [f"{ids[e.parent]}->{ids[s.node]}_op" for e in s.edges] + [f"{ids[s.node]}_op->{ids[s.node]}"],
        })
    return {"fields": ["data", "grad"], "steps": steps,
            "initial": [[ids[v], "grad", "grad"] for v in trace.names],
            "start": f"step 0 / {len(steps)}: grads empty; press step (or →) to run the first closure, "
                     f"{trace.steps[0].name}'s"}


def _forward_steps(order, names, ids):
    """The page's data for forward mode: each step fills in one computed Value's data."""
    computed = [v for v in order if v.parents]
    steps = []
    for k, v in enumerate(computed, 1):
        operands = ", ".join(names[p] for p in v.parents)
        steps.append({
            "status": f"step {k} / {len(computed)}: {names[v]} = {v.op}({operands}) = {_number(v.data)}",
            "detail": "\n".join(f"{names[p]} = {p.data!r}" for p in dict.fromkeys(v.parents))
                      + f"\n{names[v]} = {v.op}({operands}) = {v.data!r}",
            "set": [[ids[v], "data", f"data {_number(v.data)}"]],
            "nodes": [ids[v], f"{ids[v]}_op"],
            "touched": [],
            "edges": [f"{ids[p]}->{ids[v]}_op" for p in dict.fromkeys(v.parents)] + [f"{ids[v]}_op->{ids[v]}"],
        })
    return {"fields": ["data"], "steps": steps, "initial": [[ids[v], "data", "data"] for v in computed],
            "start": f"step 0 / {len(steps)}: only the leaves (inputs, parameters, constants) have data; "
                     f"press step (or →) to compute {names[computed[0]]}"}


def _html(heading, svg, data):
    # "</" would end the <script> element early; "<\\/" reads the same to JSON.parse.
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(heading)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(heading)}</h1>
<p class="help">Made by micrograd_lite's viz.backward_page. Keys: → step, ← back, Home reset.</p>
<div class="controls">
<button id="step" type="button">step</button><button id="back" type="button">back</button><button id="play" type="button">play</button><button id="reset" type="button">reset</button>
</div>
<p id="status" role="status" aria-live="polite"></p>
<pre id="detail"></pre>
<div id="graph">
{svg}
</div>
<script type="application/json" id="steps">{payload}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""
