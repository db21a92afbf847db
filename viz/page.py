"""`backward_page`: one self-contained HTML file that steps through ``backward()`` (or the forward pass).

The page is the graph `draw_dot` draws, laid out by Graphviz's ``dot`` into SVG and inlined, plus a small
inline script and stylesheet: it opens from ``file://`` with no server, no network and no CDN.

The steps are data, computed here in Python and replayed by the script, which only swaps texts and CSS
classes (it never computes a number):
- backward mode: one step per closure run, as `micrograd_lite.explain.trace_backward` lists them. The step's
  node is highlighted (class ``current`` on its ``g.node``) and its grad shows the upstream gradient; each edge
  to a parent shows ``upstream × local = contribution`` and the parent's grad shows its running value. After
  the last step every grad on the page is the one ``backward()`` gives (to the 4 significant digits the
  picture prints). Constants (unlabelled leaves not in ``params``) show only their number.
- forward mode: one step per computed Value in topological order, filling in its data from its operands'.
- exercise (backward mode, ``exercise=True``): before each step the page asks for the gradient it reveals,
  then for each parameter's; answers and the slips that explain wrong ones are computed here.

Controls: buttons ``step``, ``back``, ``play`` (``pause`` while playing) and ``reset`` (element ids as the
names), the arrow keys (→ step, ← back) and Home (reset); ``zoom-in``, ``zoom-out``, ``fit``, the wheel, a
pinch and a drag move the view. ``#status`` reads ``step k / n: ...`` and names the node; ``#detail`` prints
the step in the notes' notation (`BackwardTrace.format_step`, 4 significant digits). The boxes above the graph
have fixed heights, and after every step the view follows the step's node (`READABLE_PX`, `FOLLOW_MS`).
"""

import html
import json
import math
import os

from micrograd_lite import Value, topological_order
from micrograd_lite.explain import slip_values, slips, trace_backward
from micrograd_lite.explain.naming import denominator

from .graph import MAX_NODES, _number, check_size, draw_dot
from .render import pipe

__all__ = ["backward_page", "MODES", "PLAY_INTERVAL_MS"]

MODES = ("backward", "forward")
PLAY_INTERVAL_MS = 800  # time between two steps when playing: long enough to read an edge label

READABLE_PX = 20   # the step's node is zoomed to at least this text height on screen (a projector's back row)
FOLLOW_MS = 350    # the pan to the next step's node: long enough to see where it goes, short enough to keep up

_STYLE = """
html, body { height: 100%; margin: 0; }
body { font-family: Helvetica, Arial, sans-serif; color: #222; display: flex; flex-direction: column;
       padding: 0 1em; box-sizing: border-box; }
h1 { font-size: 1.2em; margin: .4em 0 .2em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
     flex: none; }
.help { color: #555; margin: 0 0 .3em; flex: none; white-space: nowrap; overflow: hidden;
        text-overflow: ellipsis; }
.controls { flex: none; }
.controls button { font-size: 1em; min-width: 4em; margin: 0 .3em .2em 0; }
/* Every box above the graph has a fixed height, so the graph never moves when their text changes. */
#status { font-weight: bold; margin: .3em 0 .2em; height: 2.5em; line-height: 1.25em; overflow: hidden;
          flex: none; }
#detail { background: #f6f6f6; padding: .3em .6em; margin: 0 0 .4em; height: 7.5em; line-height: 1.25em;
          overflow: auto; white-space: pre-wrap; flex: none; box-sizing: content-box; }
#exercise { flex: none; height: 3.6em; margin: 0 0 .4em; overflow: hidden; white-space: nowrap; }
#verdict { height: 1.4em; line-height: 1.4em; margin-top: .2em; overflow: hidden; text-overflow: ellipsis; }
#exercise input { font-size: 1em; width: 9em; }
#verdict.correct { color: #1a7f37; font-weight: bold; }
#verdict.wrong { color: #b31d28; font-weight: bold; }
#graph { flex: 1 1 auto; min-height: 8em; position: relative; overflow: hidden; border: 1px solid #ddd;
         margin-bottom: .6em; cursor: grab; touch-action: none; user-select: none; }
#graph.dragging { cursor: grabbing; }
#graph svg { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
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
# The view is the SVG's viewBox (x, y and a scale in screen pixels per SVG unit); after every change of step it
# pans (and zooms in, when the text would be under READABLE_PX) so that the step's node is on screen.
_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("steps").textContent);
  var steps = data.steps, n = steps.length, current = 0, timer = null;
  var box = document.getElementById("graph"), svg = box.querySelector("svg");
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
  ["step", "back", "play", "reset", "fit", "zoom-in", "zoom-out"].forEach(function (id) {
    buttons[id] = document.getElementById(id); });

  // ---- the view: pan and zoom ----
  var full = svg.viewBox.baseVal, W = full.width, H = full.height, X0 = full.x, Y0 = full.y;
  svg.removeAttribute("width"); svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
  var view = {x: X0, y: Y0, s: 1}, anim = null;
  function size() { return {w: Math.max(box.clientWidth, 1), h: Math.max(box.clientHeight, 1)}; }
  function apply(v) {
    var c = size();
    view = v;
    svg.setAttribute("viewBox", [v.x, v.y, c.w / v.s, c.h / v.s].join(" "));
  }
  function settle(v) { if (anim) { cancelAnimationFrame(anim); anim = null; } apply(v); box.dataset.settled = "true"; }
  function glide(to) {
    if (anim) { cancelAnimationFrame(anim); anim = null; }
    var from = view, t0 = null;
    if (Math.abs(from.x - to.x) < 0.5 && Math.abs(from.y - to.y) < 0.5 && Math.abs(from.s - to.s) < 1e-3) {
      settle(to); return;
    }
    box.dataset.settled = "false";
    function frame(t) {
      if (t0 === null) { t0 = t; }
      var u = Math.min(1, (t - t0) / data.follow_ms), e = u * u * (3 - 2 * u);
      if (u >= 1) { anim = null; settle(to); return; }
      apply({x: from.x + (to.x - from.x) * e, y: from.y + (to.y - from.y) * e, s: from.s + (to.s - from.s) * e});
      anim = requestAnimationFrame(frame);
    }
    anim = requestAnimationFrame(frame);
  }
  function zoomAt(factor, px, py) {  // keep the graph point under the screen point (px, py) in place
    var s = Math.min(Math.max(view.s * factor, 0.02), 20);
    settle({x: view.x + px / view.s - px / s, y: view.y + py / view.s - py / s, s: s});
  }
  function fitView() {
    var c = size(), s = Math.min(c.w / W, c.h / H);
    return {x: X0 + W / 2 - c.w / s / 2, y: Y0 + H / 2 - c.h / s / 2, s: s};
  }
  function bbox(el) {  // el's box in the SVG's user units (the viewBox's)
    var b = el.getBBox(), m = svg.getScreenCTM().inverse().multiply(el.getScreenCTM());
    var xs = [b.x * m.a + b.y * m.c + m.e, (b.x + b.width) * m.a + b.y * m.c + m.e,
              b.x * m.a + (b.y + b.height) * m.c + m.e];
    var ys = [b.x * m.b + b.y * m.d + m.f, b.x * m.b + (b.y + b.height) * m.d + m.f,
              (b.x + b.width) * m.b + b.y * m.d + m.f];
    return {x0: Math.min.apply(null, xs), x1: Math.max.apply(null, xs), y0: Math.min.apply(null, ys),
            y1: Math.max.apply(null, ys)};
  }
  function union(a, b) { return {x0: Math.min(a.x0, b.x0), x1: Math.max(a.x1, b.x1),
                                  y0: Math.min(a.y0, b.y0), y1: Math.max(a.y1, b.y1)}; }
  function follow(ids, instant) {  // the view that shows node ids[0] readably, and the others when they fit
    var g = nodes[ids[0]];
    if (!g) { return; }
    var c = size(), margin = 24, target = bbox(g), textH = 0;
    Array.prototype.forEach.call(texts[ids[0]], function (t) { textH = Math.max(textH, t.getBBox().height); });
    var s = Math.max(view.s, textH ? data.readable_px * 1.15 / textH : 1);
    // zoom in no further than needed for the node itself to fit
    s = Math.min(s, Math.max((c.w - 2 * margin) / (target.x1 - target.x0), data.readable_px * 1.15 / textH),
                    Math.max((c.h - 2 * margin) / (target.y1 - target.y0), data.readable_px * 1.15 / textH));
    var want = target;
    ids.slice(1).forEach(function (id) {
      if (!nodes[id]) { return; }
      var u = union(want, bbox(nodes[id]));
      if ((u.x1 - u.x0) * s <= c.w - 2 * margin && (u.y1 - u.y0) * s <= c.h - 2 * margin) { want = u; }
    });
    var x = view.x, y = view.y, vw = c.w / s, vh = c.h / s, m = margin / s;
    if (s !== view.s) {  // zooming: keep the view's centre, then pan
      x = view.x + c.w / view.s / 2 - vw / 2; y = view.y + c.h / view.s / 2 - vh / 2;
    }
    if (want.x0 - m < x || want.x1 + m > x + vw) { x = (want.x0 + want.x1) / 2 - vw / 2; }
    if (want.y0 - m < y || want.y1 + m > y + vh) { y = (want.y0 + want.y1) / 2 - vh / 2; }
    (instant ? settle : glide)({x: x, y: y, s: s});
  }
  function focus(instant) {
    var s = steps[Math.max(current, 1) - 1];
    follow([s.nodes[0]].concat(current ? s.touched : []), instant);
  }
  buttons.fit.addEventListener("click", function () { settle(fitView()); });
  buttons["zoom-in"].addEventListener("click", function () { var c = size(); zoomAt(1.25, c.w / 2, c.h / 2); });
  buttons["zoom-out"].addEventListener("click", function () { var c = size(); zoomAt(0.8, c.w / 2, c.h / 2); });
  box.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = box.getBoundingClientRect(), k = e.deltaMode === 1 ? 40 : 1;
    zoomAt(Math.exp(-e.deltaY * k * (e.ctrlKey ? 0.01 : 0.002)), e.clientX - r.left, e.clientY - r.top);
  }, {passive: false});
  var pointers = {}, pinch = null;
  box.addEventListener("pointerdown", function (e) {
    pointers[e.pointerId] = {x: e.clientX, y: e.clientY};
    try { box.setPointerCapture(e.pointerId); } catch (err) { /* a pointer the browser no longer tracks */ }
    box.classList.add("dragging");
  });
  box.addEventListener("pointermove", function (e) {
    var p = pointers[e.pointerId];
    if (!p) { return; }
    var ids = Object.keys(pointers);
    if (ids.length === 1) {
      settle({x: view.x - (e.clientX - p.x) / view.s, y: view.y - (e.clientY - p.y) / view.s, s: view.s});
    } else if (ids.length === 2) {
      var q = pointers[ids[0] === String(e.pointerId) ? ids[1] : ids[0]], r = box.getBoundingClientRect();
      var before = Math.hypot(p.x - q.x, p.y - q.y), after = Math.hypot(e.clientX - q.x, e.clientY - q.y);
      if (before > 0) { zoomAt(after / before, (e.clientX + q.x) / 2 - r.left, (e.clientY + q.y) / 2 - r.top); }
    }
    pointers[e.pointerId] = {x: e.clientX, y: e.clientY};
  });
  function release(e) { delete pointers[e.pointerId];
                        if (!Object.keys(pointers).length) { box.classList.remove("dragging"); } }
  box.addEventListener("pointerup", release);
  box.addEventListener("pointercancel", release);
  window.addEventListener("resize", function () { focus(true); });

  // ---- the steps ----
  var revealed = {};  // exercise mode: the hidden grads answered so far
  function setField(change) {
    var t = texts[change[0]], offset = data.fields.length - data.fields.indexOf(change[1]);
    var text = change[2];
    if (data.hidden && data.hidden[change[0]] && !revealed[change[0]] && change[1] === "grad" && text !== "grad") {
      text = "grad ?";
    }
    t[t.length - offset].textContent = text;
  }
  function mark(ids, table, cls) {
    ids.forEach(function (id) { (table === nodes ? [nodes[id]] : edges[id] || []).forEach(function (g) {
      if (g) { g.classList.add(cls); } }); });
  }
  function show(k, instant) {
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
    focus(instant);
    document.dispatchEvent(new CustomEvent("pagestep", {detail: current}));
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
    if (e.target && e.target.tagName === "INPUT") { return; }
    var keys = {ArrowRight: function () { show(current + 1); }, ArrowLeft: function () { show(current - 1); },
                Home: function () { show(0); }};
    if (keys[e.key]) { e.preventDefault(); stop(); keys[e.key](); }
  });
  window.backwardPage = {show: show, follow: function (id) { follow([id]); }, current: function () { return current; }, revealed: revealed,
                         view: function () { return view; }, steps: n,
                         node: function () { return steps[Math.max(current, 1) - 1].nodes[0]; }};
  show(0, true);
})();
"""

def backward_page(root, path, mode="backward", *, title=None, rankdir="LR", params=None, max_nodes=MAX_NODES,
                  exercise=False):
    """Write a page stepping through the backward (or forward) pass of `root`'s graph to `path`; returns `path`.

    `root`: a `Value` computed from others (usually a loss); `path`: str or path-like, the HTML file to write
    (its folder must exist). `mode`: ``'backward'`` (default: one step per closure run of ``backward()``, from
    `micrograd_lite.explain.trace_backward`; the page starts with every grad empty) or ``'forward'`` (one step
    per computed Value in topological order; the page starts with only the leaves' data). `title`: the page's
    heading (default: what it shows and the root's name). `rankdir`, `params`, `max_nodes`: as `draw_dot`.

    `exercise=True` (backward mode): before each step the page asks for the gradient that step reveals
    (``#question`` reads ``∂E_total/∂out_o1 = ?``); the learner types a number into ``#answer`` and presses
    ``#submit`` (or Enter). ``#verdict`` says ``correct`` (the answer agrees with the engine's gradient to 4
    significant digits: ``0.7414`` for 0.741365; more digits are fine) and the step is shown, or ``wrong``,
    naming the slip of `micrograd_lite.explain.check`'s catalogue that reproduces the number (to 4
    significant digits), if one does, with its sentence: e.g. ``sign: the opposite sign``. ``#reveal`` shows
    the step without an answer. After the last step it asks the same way for each parameter's gradient
    (`params`, else the labelled leaves), whose grads stay ``grad ?`` until answered. Every value and slip is
    computed here, when the page is written: the page needs no server. Constants are never asked about.

    The page reads the graph's current ``data``; the graph's grads are left as they were (the backward steps
    start from zero as after ``zero_grad()``, so the page's last step shows what one ``root.backward()`` on
    zeroed grads gives, whatever ``grad`` holds now). Numbers in the graph have 4 significant digits, in
    ``#detail`` 6 decimals.

    Raises TypeError when `root` is not a Value, ValueError for an unknown `mode`, `exercise` in forward mode,
    or a `root` with no parents
    (a leaf: there is nothing to step through), FileNotFoundError when the folder of `path` does not exist,
    whatever `draw_dot` raises (`GraphTooLargeError` past `max_nodes` Values), `viz.GraphvizNotFoundError`
    when ``dot`` is missing, and RuntimeError when it gives no SVG. The file is written only once everything
    has succeeded, so on any error an existing file at `path` is left untouched.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_page: root must be a Value, got {type(root).__name__} {root!r}")
    if mode not in MODES:
        raise ValueError(f"backward_page: mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
    if exercise and mode != "backward":
        raise ValueError("backward_page: exercise=True asks for the backward pass's gradients; use mode='backward'")
    if not root.parents:
        raise ValueError(f"backward_page: root {root!r} is a leaf (it has no parents): there is no pass to step "
                         f"through; pass a Value computed from others, such as a loss")
    name = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(name))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"backward_page: cannot write {name!r}: folder {folder!r} does not exist")

    if params is not None:
        params = _values(params)  # once: a generator would be spent before draw_dot sees it
    order = topological_order(root)
    check_size(root, order, max_nodes, "backward_page")  # before the trace, the slow part for a big graph
    ids = {v: f"v{i}" for i, v in enumerate(order)}  # draw_dot's node ids
    trace = trace_backward(root, params)
    if mode == "backward":
        parameters = set(params) if params is not None else set()
        graded = {v for v in order if v.parents or v.label is not None or v in parameters}  # not constants
        page = _backward_steps(trace, ids, graded)
        labels = {(e.parent, s.node): f"{_number(s.upstream)} × {_number(e.local)} = {_number(e.contribution)}"
                  for s in trace for e in s.edges if e.parent in graded}
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
    data = {**page, "interval": PLAY_INTERVAL_MS, "readable_px": READABLE_PX, "follow_ms": FOLLOW_MS}
    if exercise:
        data.update(_exercise(trace, ids, params))
        heading = title or f"backward() from {trace.names[root]}: predict each gradient, then check"
    text = _html(heading, svg, data, _EXERCISE_HTML if exercise else "",
                 _EXERCISE_SCRIPT if exercise else "")
    with open(name, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def _backward_steps(trace, ids, graded):
    """The page's data for backward mode: each step sets the node's grad to its upstream gradient and each
    parent's grad to its running value; `graded`: the Values whose record shows a grad (constants do not)."""
    steps = []
    for k, s in enumerate(trace.steps, 1):
        set_ = [[ids[s.node], "grad", f"grad {_number(s.upstream)}"]]
        set_ += [[ids[e.parent], "grad", f"grad {_number(e.running)}"] for e in s.edges if e.parent in graded]
        steps.append({
            "status": f"step {k} / {len(trace)}: {s.name} = {s.op}({', '.join(e.name for e in s.edges)}), "
                      f"∂{trace.names[trace.root]}/∂{denominator(s.node, s.name)} = {_number(s.upstream)}",
            "detail": trace.format_step(s, significant=4),
            "set": set_,
            "nodes": [ids[s.node], f"{ids[s.node]}_op"],
            "touched": [ids[e.parent] for e in s.edges if e.parent in graded],
            "edges": [f"{ids[e.parent]}->{ids[s.node]}_op" for e in s.edges] + [f"{ids[s.node]}_op->{ids[s.node]}"],
        })
    return {"fields": ["data", "grad"], "steps": steps,
            "initial": [[ids[v], "grad", "grad"] for v in trace.names if v in graded],
            "start": f"step 0 / {len(steps)}: grads empty; press step (or →) to run the first closure, "
                     f"{trace.steps[0].name}'s"}


def _exercise(trace, ids, params):
    """The exercise's data: a question per step (the gradient it reveals), then one per parameter, each with
    the engine's value and the slips of `check`'s catalogue that give another number; "hidden": the parameters,
    whose grads the page hides until they are answered."""
    root, names = trace.root, trace.names
    graph = set(trace.names)
    if params is None:
        leaves = [v for v in trace.names if not v.parents and v.label is not None]
    else:
        leaves = list(dict.fromkeys(v for v in params if v in graph and not v.parents))
    slipped = slip_values(root, [s.node for s in trace.steps] + leaves, params=leaves)

    def question(node, value):
        causes, seen = [], set()
        for kind, sentence, slip in slipped[node]:
            if (not isinstance(slip, float) or not math.isfinite(slip) or _number(slip) == _number(value)
                    or (kind, sentence) in seen):
                continue
            seen.add((kind, sentence))
            causes.append([kind, sentence, slip])
        causes.sort(key=lambda c: slips.KINDS.index(c[0]))
        return {"name": f"∂{names[root]}/∂{denominator(node, names[node])}", "value": value,
                "shown": _number(value), "slips": causes, "node": ids[node]}

    return {"questions": [question(s.node, s.upstream) for s in trace.steps],
            "final": [question(v, trace.grads[v]) for v in leaves],
            "hidden": {ids[v]: True for v in leaves}}


def _values(params):
    """`params` (a Module, a Value or an iterable of them) as a list; draw_dot checks the items."""
    from micrograd_lite import Module

    if isinstance(params, Module):
        return params.parameters()
    if isinstance(params, Value):
        return [params]
    try:
        return list(params)
    except TypeError:
        raise TypeError(f"backward_page: params must be a Value, a Module or an iterable of Values, "
                        f"got {type(params).__name__} {params!r}") from None


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


_EXERCISE_HTML = """<div id="exercise">
<label for="answer" id="question"></label> <input id="answer" type="text" inputmode="decimal" autocomplete="off"
spellcheck="false"> <button id="submit" type="button">check</button><button id="reveal" type="button">reveal</button>
<div id="verdict" role="status" aria-live="polite"></div>
</div>
"""

# The exercise: asks for the gradient the next step reveals, then for each parameter's. An answer is right when
# it is the engine's value to 4 significant digits (half a unit of the 4th digit, as the picture prints it); a
# wrong one is matched the same way against the slips computed in Python.
_EXERCISE_SCRIPT = """
(function () {
  "use strict";
  var page = window.backwardPage, data = JSON.parse(document.getElementById("steps").textContent);
  var question = document.getElementById("question"), answer = document.getElementById("answer");
  var verdict = document.getElementById("verdict"), submit = document.getElementById("submit");
  var reveal = document.getElementById("reveal");
  function parse(text) {
    var t = text.trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    return /^[+-]?(\\d+\\.?\\d*|\\.\\d+)(e[+-]?\\d+)?$/i.test(t) ? parseFloat(t) : null;
  }
  function agrees(a, v) {  // a is v to 4 significant digits
    if (v === 0) { return Math.abs(a) < 1e-12; }
    var unit = Math.pow(10, Math.floor(Math.log10(Math.abs(v))) - 3);
    return Math.abs(a - v) <= 0.5 * unit * (1 + 1e-9);
  }
  function asked() {  // the open question, or null when every one is answered
    var k = page.current();
    if (k < data.questions.length) { return data.questions[k]; }
    for (var i = 0; i < data.final.length; i++) {
      if (!page.revealed[data.final[i].node]) { return data.final[i]; }
    }
    return null;
  }
  function ask() {
    var q = asked();
    question.textContent = q ? q.name + " = ?" : "all answered: every gradient is on the page";
    if (q && page.current() === data.questions.length) { page.follow(q.node); }
    answer.disabled = submit.disabled = reveal.disabled = !q;
  }
  function advance(q) {
    if (page.current() < data.questions.length) { page.show(page.current() + 1); }
    else { page.revealed[q.node] = true; page.show(page.current()); }
    answer.value = "";
    ask();
  }
  function check() {
    var q = asked();
    if (!q) { return; }
    var a = parse(answer.value);
    if (a === null) {
      verdict.className = "";
      verdict.textContent = "not a number: write it as 0.7414, -1.5e-3 or 1";
      return;
    }
    if (agrees(a, q.value)) {
      verdict.className = "correct";
      verdict.textContent = "correct: " + q.name + " = " + answer.value.trim();
      advance(q);
      return;
    }
    var slip = q.slips.filter(function (s) { return agrees(a, s[2]); })[0];
    verdict.className = "wrong";
    verdict.textContent = "wrong" + (slip ? " (" + slip[0] + "): " + slip[1] : ": no common slip gives it; try again or reveal");
    verdict.title = verdict.textContent;
  }
  submit.addEventListener("click", check);
  answer.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); check(); } });
  reveal.addEventListener("click", function () {
    var q = asked();
    if (!q) { return; }
    verdict.className = "";
    verdict.textContent = "revealed: " + q.name + " = " + q.shown;
    advance(q);
  });
  document.addEventListener("pagestep", ask);
  ask();
})();
"""

# JSON inside <script>: "<" could open "<!--" or "</script>", which the HTML parser acts on before any script
# runs; ">" and "&" are escaped too (XHTML readers), and U+2028/9 end a line in older JavaScript.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(data):
    """`data` as JSON safe to put inside an HTML ``<script>`` element whatever its strings hold."""
    text = json.dumps(data, ensure_ascii=False)
    return "".join(_JSON_ESCAPES.get(c, c) for c in text)


def _html(heading, svg, data, exercise="", exercise_script=""):
    payload = script_json(data)
    heading = "".join(chr(0x2400 + ord(c)) if ord(c) < 32 else c for c in str(heading))  # NUL: shown as ␀
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(heading)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(heading)}</h1>
<p class="help">Made by micrograd_lite's viz.backward_page. Keys: → step, ← back, Home reset. Drag to pan; wheel,
pinch or + / − to zoom; fit shows the whole graph.</p>
<div class="controls">
<button id="step" type="button">step</button><button id="back" type="button">back</button><button id="play" type="button">play</button><button id="reset" type="button">reset</button>
<button id="zoom-in" type="button" title="zoom in">+</button><button id="zoom-out" type="button" title="zoom out">−</button><button id="fit" type="button" title="fit the whole graph in the window">fit</button>
</div>
<p id="status" role="status" aria-live="polite"></p>
<pre id="detail"></pre>
{exercise}<div id="graph" data-settled="false">
{svg}
</div>
<script type="application/json" id="steps">{payload}</script>
<script>{_SCRIPT}</script>
{f"<script>{exercise_script}</script>" if exercise_script else ""}
</body>
</html>
"""
