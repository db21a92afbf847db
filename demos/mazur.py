"""The notes' 2-2-2 sigmoid network (weights w1..w8, biases b1 b2), rebuilt from `Value`s.

Source: M. Mazur, "A Step by Step Backpropagation Example" (blog post, 2015), the worked example the
seed notes follow. Inputs i1 = 0.05, i2 = 0.10; targets 0.01, 0.99; w1..w8 = .15 .20 .25 .30 .40 .45 .50
.55; one bias b1 = .35 shared by both hidden neurons and one b2 = .60 shared by both outputs; sigmoid
everywhere; E_total = sum 1/2 (target - out)^2; learning rate 0.5.

Prints the forward pass, the ten gradients three ways (the engine's ``grad``, the hand-derived delta-rule
formulas, the post's printed figures), one SGD step, and E_total over 10,000 steps; draws the network to
mazur.svg with w1's two paths to E_total highlighted (needs Graphviz; ``--no-graph`` skips it).
``--code`` prints the forward and backward pass as Python instead, ``--hessian`` the 10 x 10 Hessian;
``--page mazur.html`` only writes a web page that steps through backward() at the initial weights
(`viz.backward_page`).

Run: ``python demos/mazur.py`` (``--help`` for options).
"""

import argparse
import os
import sys

from micrograd_lite import SGD, Value, autograd
from micrograd_lite.explain import backward_source, chain_rule, trace_backward

if not __package__:  # run as a script (python demos/mazur.py): make `demos` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from demos.cli import (column_blocks, graph_path, page_path, table, terminal_width, wrap,  # noqa: E402
                       wrap_code, write_page)

I1, I2 = 0.05, 0.10
TARGET_O1, TARGET_O2 = 0.01, 0.99
INITIAL = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "w5": 0.40, "w6": 0.45, "w7": 0.50,
           "w8": 0.55, "b1": 0.35, "b2": 0.60}
WEIGHTS = ["w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"]
PARAMS = WEIGHTS + ["b1", "b2"]
LR = 0.5
STEPS = 10_000

SOURCE = 'M. Mazur, "A Step by Step Backpropagation Example" (2015)'
# The post's printed figures, as printed (strings keep their digits: the tolerance is half a unit in the
# last one). The post prints no gradient for w2-w4, w6-w8 or the biases, only the updated weights.
PUBLISHED_FORWARD = {
    "net_h1": "0.3775", "out_h1": "0.593269992", "out_h2": "0.596884378", "net_o1": "1.105905967",
    "out_o1": "0.75136507", "out_o2": "0.772928465", "E_o1": "0.274811083", "E_o2": "0.023560026",
    "E_total": "0.298371109",
}
PUBLISHED_GRAD = {"w5": "0.082167041", "w1": "0.000438568"}
PUBLISHED_UPDATED = {
    "w1": "0.149780716", "w2": "0.19956143", "w3": "0.24975114", "w4": "0.29950229",
    "w5": "0.35891648", "w6": "0.408666186", "w7": "0.511301270", "w8": "0.561370121",
}
PUBLISHED_E_AFTER_1 = "0.291027924"
PUBLISHED_E_AFTER_10000 = "0.0000351085"
PUBLISHED_OUT_AFTER_10000 = {"out_o1": "0.015912196", "out_o2": "0.984065734"}

WHY_DIFFERENT = (
    "The post's gradients and updated weights are reproduced to every printed digit by the chain rule\n"
    "(the default run). Two of its error figures are not:\n"
    "- After one step it prints 0.291027924; the chain rule gives 0.29102777369. The printed value comes\n"
    "  from a variant of its code that carries the output deltas back with w5..w8 already updated\n"
    "  (dE/dout_h1 = delta_o1 w5+ + delta_o2 w7+), whereas its own text uses the original w5..w8.\n"
    "  --sequential trains by that variant and reproduces 0.291027924, and after 10,000 steps the\n"
    "  post's outputs 0.015912196 / 0.984065734 to all nine digits.\n"
    "- After 10,000 steps it prints 0.0000351085. That disagrees with its own outputs: putting\n"
    "  0.015912196 and 0.984065734 into E_total gives 0.0000350848, which is what --sequential gives\n"
    "  (0.000035085 at the nine decimals its code prints). The printed string is that one with an extra\n"
    "  '1'; it also equals, to six digits, the chain rule's error after 9,999 steps (3.5108548e-05).\n"
    "  The chain rule's error after 10,000 steps is 3.5101878e-05."
)


def tolerance(published):
    """Half a unit in the last printed digit of `published` (a decimal string)."""
    decimals = len(published.split(".")[1]) if "." in published else 0
    return 0.5 * 10.0 ** -decimals


def make_params(values=None):
    """The ten parameters as labelled leaf Values (``{'w1': Value, ...}``), from `values` or `INITIAL`."""
    values = INITIAL if values is None else values
    return {name: Value(values[name], label=name) for name in PARAMS}


def forward(p):
    """Build the graph from parameters `p` (a dict of Values) and return every named node.

    The notes' equations, one node each: net_h1 = w1 i1 + w2 i2 + b1, out_h1 = sigmoid(net_h1), the same
    for h2 (w3, w4), o1 (w5, w6 on out_h1, out_h2, bias b2) and o2 (w7, w8); E_o = 1/2 (target - out_o)^2;
    E_total = E_o1 + E_o2. Returns a dict label -> Value (inputs, parameters, every intermediate)."""
    i1, i2 = Value(I1, label="i1"), Value(I2, label="i2")
    nodes = {"i1": i1, "i2": i2, **p}
    for h, (wa, wb) in (("h1", ("w1", "w2")), ("h2", ("w3", "w4"))):
        nodes[f"net_{h}"] = Value.dot([p[wa], p[wb]], [i1, i2], p["b1"])
        nodes[f"out_{h}"] = nodes[f"net_{h}"].sigmoid()
    hidden = [nodes["out_h1"], nodes["out_h2"]]
    for o, (wa, wb), target in (("o1", ("w5", "w6"), TARGET_O1), ("o2", ("w7", "w8"), TARGET_O2)):
        nodes[f"net_{o}"] = Value.dot([p[wa], p[wb]], hidden, p["b2"])
        nodes[f"out_{o}"] = nodes[f"net_{o}"].sigmoid()
        nodes[f"E_{o}"] = 0.5 * (target - nodes[f"out_{o}"]) ** 2
    nodes["E_total"] = nodes["E_o1"] + nodes["E_o2"]
    for name, node in nodes.items():
        node.label = name
    return nodes


def hand_gradients(v, w=None):
    """dE_total/d(parameter) for the ten parameters by the delta rule, as the notes derive it.

    `v`: floats of the forward pass (out_h1, out_h2, out_o1, out_o2); `w`: the weights used to carry the
    output deltas back to the hidden layer (default: `INITIAL`'s w5..w8, the chain rule's choice).
        delta_o1 = dE/dnet_o1 = (out_o1 - target_o1) * out_o1 (1 - out_o1)      (same for o2)
        dE/dw5 = delta_o1 out_h1,  dE/dw6 = delta_o1 out_h2,  dE/dw7 = delta_o2 out_h1,  dE/dw8 = delta_o2 out_h2
        dE/dout_h1 = delta_o1 w5 + delta_o2 w7,  delta_h1 = dE/dout_h1 * out_h1 (1 - out_h1)   (h2: w6, w8)
        dE/dw1 = delta_h1 i1, dE/dw2 = delta_h1 i2, dE/dw3 = delta_h2 i1, dE/dw4 = delta_h2 i2
        dE/db2 = delta_o1 + delta_o2 and dE/db1 = delta_h1 + delta_h2 (each bias feeds two neurons)
    Returns a dict name -> float."""
    w = INITIAL if w is None else w
    h1, h2, o1, o2 = v["out_h1"], v["out_h2"], v["out_o1"], v["out_o2"]
    d_o1 = (o1 - TARGET_O1) * o1 * (1 - o1)
    d_o2 = (o2 - TARGET_O2) * o2 * (1 - o2)
    d_h1 = (d_o1 * w["w5"] + d_o2 * w["w7"]) * h1 * (1 - h1)
    d_h2 = (d_o1 * w["w6"] + d_o2 * w["w8"]) * h2 * (1 - h2)
    return {
        "w1": d_h1 * I1, "w2": d_h1 * I2, "w3": d_h2 * I1, "w4": d_h2 * I2,
        "w5": d_o1 * h1, "w6": d_o1 * h2, "w7": d_o2 * h1, "w8": d_o2 * h2,
        "b1": d_h1 + d_h2, "b2": d_o1 + d_o2,
    }


def train(steps, *, sequential=False, train_biases=False, milestones=()):
    """Train from `INITIAL` for `steps` SGD steps (lr 0.5). Returns (params, nodes of the last forward
    pass, {step: E_total} at `milestones`).

    Default: autograd gradients and `SGD`. ``sequential=True`` reproduces the variant behind the post's
    printed errors: output weights are updated first and the hidden-layer gradients then use the updated
    w5..w8 (see `WHY_DIFFERENT`); it uses `hand_gradients` since that order is not the chain rule."""
    p = make_params()
    names = PARAMS if train_biases else WEIGHTS
    opt = SGD([p[n] for n in names], lr=LR)
    history = {}
    for step in range(steps + 1):
        nodes = forward(p)
        if step in milestones:
            history[step] = nodes["E_total"].data
        if step == steps:
            return p, nodes, history
        if sequential:
            values = {k: n.data for k, n in nodes.items()}
            first = hand_gradients(values)  # output-layer gradients: the same in both orders
            updated = {k: p[k].data - LR * first[k] if k in ("w5", "w6", "w7", "w8") else p[k].data for k in PARAMS}
            grads = hand_gradients(values, w=updated)
            for n in names:
                p[n].data -= LR * (first[n] if n in ("w5", "w6", "w7", "w8", "b2") else grads[n])
        else:
            opt.zero_grad()
            nodes["E_total"].backward()
            opt.step()


def chain_rule_breakdowns():
    """dE_total/dw5 and dE_total/dw1 path by path, as the notes write them (a str), by `chain_rule`.

    The factors are the notes' variables out_o, net_o, out_h, net_h: E_o1 and E_o2 are not stops, so
    ∂E_total/∂out_o1 = out_o1 - target_o1 is one factor as in the notes (with through='labelled' it would
    read ∂E_total/∂E_o1 × ∂E_o1/∂out_o1 = 1 × 0.741365). w1 has two paths, through o1 and through o2."""
    p = make_params()
    nodes = forward(p)
    nodes["E_total"].backward()
    stops = [nodes[f"{part}_{unit}"] for unit in ("o1", "o2", "h1", "h2") for part in ("out", "net")]
    w5 = chain_rule(nodes["E_total"], p["w5"], through=stops)
    w1 = chain_rule(nodes["E_total"], p["w1"], through=stops)
    return w5.format(6) + "\n\n" + w1.format(9)


def backward_trace():
    """The backward pass of the notes' network step by step (`trace_backward`), as a str: each closure run,
    its upstream gradient, and each parent's local derivative, contribution and running gradient."""
    p = make_params()
    nodes = forward(p)
    return trace_backward(nodes["E_total"]).format(width=terminal_width())


def backward_code():
    """The network's forward and backward pass as straight-line Python, with the graph's numbers in comments
    (`explain.backward_source`: the statements the engine's closures make, one per chain-rule term)."""
    p = make_params()
    return backward_source(forward(p)["E_total"], params=[p[k] for k in PARAMS])


def hessian():
    """d^2 E_total / d a d b for a, b in `PARAMS` (10 x 10 floats, rows and columns in PARAMS' order) at the
    initial parameters, by `micrograd_lite.autograd.hessian` (the gradient's own graph, differentiated)."""
    p = make_params()
    return autograd.hessian(forward(p)["E_total"], [p[k] for k in PARAMS])


def hessian_table(digits=4):
    """`hessian()` as a table with row and column names (a str), entries with `digits` significant digits."""
    rows = [[a] + [f"{h:.{digits - 1}e}" for h in row] for a, row in zip(PARAMS, hessian())]
    return column_blocks(rows, [""] + PARAMS, terminal_width())


def fmt(x):
    return f"{x:.9f}" if abs(x) >= 1e-4 or x == 0 else f"{x:.6e}"


def diff_cell(ours, published):
    """`ours - published` and whether it is within the published rounding."""
    d = ours - float(published)
    mark = "" if abs(d) <= tolerance(published) else "  DIFFERS"
    return f"{d:+.1e}{mark}"


def write_graph(nodes, p, path):
    """Draw E_total's graph (`nodes` after backward, parameters `p`) to `path`, w1's two paths to E_total
    highlighted. Returns a one-line report; Graphviz is optional, so its absence is reported, not raised."""
    try:
        import viz  # needs the graphviz package (the `viz` extra); the rest of the demo does not
    except ImportError as exc:
        return f"Graph not drawn: {exc}; or pass --no-graph"
    try:
        viz.render(nodes["E_total"], path, highlight=p["w1"], params=p.values())
    except viz.GraphvizNotFoundError as exc:
        return f"Graph not drawn: {exc}"
    except OSError as exc:
        return f"Graph not drawn: {path}: {exc.strerror}"
    return f"Graph: wrote {path} (the whole network; w1's two paths to E_total in red, parameters in blue)"


def print_code_or_hessian(code, hessian_too):
    """``--code`` and ``--hessian``: print those sections only. Returns the exit status 0."""
    width = terminal_width()
    if code:
        print(wrap(f"The notes' network as code ({SOURCE}). The forward pass, then backward() as one statement "
                   "per chain-rule term, each block under the forward line it differentiates; in comments, the "
                   "values at the initial weights (micrograd_lite.explain.backward_source).", width) + "\n")
        print(wrap_code(backward_code(), width))
    if hessian_too:
        print(wrap("Hessian of E_total at the initial weights, d2 E_total / d row d column, by "
                   "micrograd_lite.autograd.hessian (the gradient's own graph differentiated again). w5, w6 feed "
                   "out_o1 only and w7, w8 out_o2 only, and E_total is a sum over the outputs: their cross terms "
                   "are exactly 0.", width) + "\n")
        print(hessian_table())
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=STEPS, help="training steps for part 4 (default 10000)")
    ap.add_argument("--sequential", action="store_true",
                    help="train by the post's code variant (hidden gradients use updated w5..w8)")
    ap.add_argument("--train-biases", action="store_true", help="also update b1 and b2 (the post keeps them fixed)")
    ap.add_argument("--graph", type=graph_path, default="mazur.svg", metavar="PATH",
                    help="where to draw the network: .svg, .png or .pdf (default mazur.svg)")
    ap.add_argument("--no-graph", action="store_true", help="do not draw the network")
    ap.add_argument("--trace", action="store_true",
                    help="print the backward pass step by step (explain.trace_backward) and stop")
    ap.add_argument("--page", type=page_path, metavar="PATH",
                    help="only write a web page (.html) stepping through backward() at the initial weights")
    ap.add_argument("--exercise", action="store_true",
                    help="with --page: the page asks for each step's gradient before showing it")
    ap.add_argument("--code", action="store_true",
                    help="only print the forward and backward pass as Python, one line per chain-rule term")
    ap.add_argument("--hessian", action="store_true",
                    help="only print the 10 x 10 Hessian of E_total with respect to w1..w8, b1, b2")
    args = ap.parse_args(argv)
    if args.trace:
        print(wrap("backward() on the notes' network, closure by closure (∂E_total/∂node += upstream × local):",
                   terminal_width()))
        print(backward_trace())
        return 0
    if args.exercise and not args.page:
        ap.error("--exercise goes with --page PATH (it makes the page an exercise)")
    if args.page:
        p = make_params()
        ok, line = write_page(forward(p)["E_total"], args.page, params=p.values(), exercise=args.exercise)
        print(wrap(line, terminal_width(), "  "), file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1
    if args.code or args.hessian:
        return print_code_or_hessian(args.code, args.hessian)
    if args.steps < 1:
        ap.error(f"--steps must be at least 1, got {args.steps}")

    width = terminal_width()
    print(wrap(f"The notes' 2-2-2 sigmoid network, rebuilt from Values. Published figures: {SOURCE}.", width)
          + "\n")

    # 1. forward pass
    p = make_params()
    nodes = forward(p)
    order = ["net_h1", "out_h1", "net_h2", "out_h2", "net_o1", "out_o1", "net_o2", "out_o2",
             "E_o1", "E_o2", "E_total"]
    rows = []
    for k in order:
        pub = PUBLISHED_FORWARD.get(k)
        rows.append([k, fmt(nodes[k].data), pub or "(not printed)", diff_cell(nodes[k].data, pub) if pub else ""])
    print("1. Forward pass (i1 = 0.05, i2 = 0.10, targets 0.01 / 0.99)")
    print(table(rows, ["node", "engine (float64)", "published", "engine - published"], width))

    # 2. gradients three ways
    nodes["E_total"].backward()
    hand = hand_gradients({k: n.data for k, n in nodes.items()})
    rows = []
    for k in PARAMS:
        g = p[k].grad
        pub = PUBLISHED_GRAD.get(k)
        rows.append([f"dE_total/d{k}", fmt(g), fmt(hand[k]), f"{g - hand[k]:+.1e}",
                     pub or "(not printed)", diff_cell(g, pub) if pub else ""])
    print("\n" + wrap("2. Gradients: the engine's backward() beside the hand-derived delta rule and the post", width,
                      "   "))
    print(table(rows, ["gradient", "autograd .grad", "hand formula", "autograd - formula", "published",
                       "autograd - published"], width))

    # 3. one SGD step
    after, after_nodes, _ = train(1, sequential=args.sequential, train_biases=args.train_biases)
    rows = []
    for k in PARAMS:
        pub = PUBLISHED_UPDATED.get(k)
        rows.append([k, fmt(INITIAL[k]), fmt(after[k].data), pub or "(fixed in the post)",
                     diff_cell(after[k].data, pub) if pub else ""])
    print("\n" + wrap(f"3. One SGD step, lr = {LR}" + (" (sequential variant)" if args.sequential else "")
                      + (", biases trained too" if args.train_biases else ""), width, "   "))
    print(table(rows, ["param", "before", "after", "published after", "ours - published"], width))
    e1 = after_nodes["E_total"].data
    if args.sequential:
        print(wrap("(w1..w4 differ from the post's printed updates: those were computed by the chain rule.)", width))
    print(wrap(f"E_total after one step: {e1!r} (published {PUBLISHED_E_AFTER_1}: "
               f"{diff_cell(e1, PUBLISHED_E_AFTER_1).strip()})", width, "  "))

    # 4. training
    marks = sorted({m for m in (0, 1, 10, 100, 1000, 5000, STEPS) if m <= args.steps} | {args.steps})
    final, final_nodes, history = train(args.steps, sequential=args.sequential,
                                        train_biases=args.train_biases, milestones=marks)
    print(f"\n4. Training for {args.steps} steps")
    print(table([[str(m), f"{history[m]:.10g}"] for m in marks], ["step", "E_total"], width))
    outs = [[k, t, f"{final_nodes[k].data:.9f}",
             PUBLISHED_OUT_AFTER_10000[k] if args.steps == STEPS else ""]
            for k, t in (("out_o1", TARGET_O1), ("out_o2", TARGET_O2))]
    print(table(outs, ["output", "target", "ours", "published (10,000 steps)"], width))
    if args.steps == STEPS:
        e = history[STEPS]
        print(wrap(f"E_total after 10,000 steps: {e:.10g} (published {PUBLISHED_E_AFTER_10000}: "
                   f"{diff_cell(e, PUBLISHED_E_AFTER_10000).strip()})", width, "  "))
    print("\n" + wrap("5. The chain rule path by path (micrograd_lite.explain; each factor read from an op's "
                      "backward)", width, "   "))
    print(wrap(chain_rule_breakdowns(), width, "      "))
    if not args.train_biases:
        print("\nWhy some published figures differ:\n" + wrap(WHY_DIFFERENT, width, "  "))
    if not args.no_graph:
        print("\n" + wrap(write_graph(nodes, p, args.graph), width, "  "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
