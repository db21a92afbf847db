"""A tiny network learns a truth table: embeddings -> tanh -> softmax, with every forward and backward number.

The network of the hand-written backprop notes this project grew from (``seeds/000_…txt``, ``001_…txt``): tokens {False, True} with 2-d embeddings (the
notes call them ``xx`` and ``--``), a context of 2 tokens flattened into a 4-value input layer IL, 3 tanh
hidden neurons (HW 4 x 3, columns N1..N3, bias HB), 2 outputs (OW 3 x 2, bias OB) with softmax, and the
cross-entropy loss. It learns a truth table (``--op and|or|xor|nand``): context (a, b) -> a op b.

``--explain 0,0`` prints, before and after training, the notes' forward table (EMBEDDINGS, IL, HW, RNI,
HB, HI, HA, OW, RNO, OB, RAW, PRED) and backward table (ErrS, dBO, dWO, dHIS, dT(HA), dHI, dWH, dBH, dIL
and the per-embedding updates) for that example. Every number is read from the engine's graph, the
``data`` or ``grad`` of a node (dT(HA) is the tanh node's local derivative, read by
`micrograd_lite.explain.local_derivatives`); nothing is recomputed beside it. The matrix formulas the notes
give (ErrS = PRED - one-hot, dWO = ErrS ⊗ HA, dHIS = OWᵀ·ErrS, ...) are what tests/test_truth_table.py
checks these cells against.

Training stops once every context's PRED of the right answer is at least 0.9 (`MARGIN`), not at the first
step with all four right: that step can leave an answer at PRED 0.51, right only just.

``--page PATH`` also writes a web page that steps through backward() of that example's loss after training
(`viz.backward_page`; the first context's when there is no ``--explain``).

Run: ``python demos/truth_table.py --op xor --explain 1,1`` (``--help`` for options).
"""

import argparse
import math
import os
import sys

from tabulate import tabulate

from micrograd_lite import SGD, cross_entropy, softmax

if not __package__:  # run as a script (python demos/truth_table.py): make `demos` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from demos import notes  # noqa: E402  (the audit reads the seed notes when called: --weights notes)
from demos.cli import graph_path, page_path, terminal_width, wrap, write_page  # noqa: E402

from demos.truth_table_net import (  # noqa: E402  (the model, re-exported: truth_table.TruthTableNet etc.)
    TOKENS, SYMBOLS, OPS, CONTEXTS, EMBEDDING_DIM, BLOCK, HIDDEN, CLASSES, STEPS, LR,
    SEED, DECIMALS, MARGIN, target, TruthTableNet, example_tables, NOTES_CONTEXT, notes_net)


# ---- training -------------------------------------------------------------------------------------------------
def train(net, op, *, lr=LR, steps=STEPS, log=None, margin=MARGIN):
    """Full-batch SGD on the mean cross-entropy over the four contexts until all four are predicted
    correctly and every context's PRED of its right answer is at least `margin` (a probability; 0.5 or less:
    stop as soon as all four are right), or `steps` updates have been made. `log(step, loss, correct,
    lowest)` is called before each update and at the end, `lowest` being the smallest PRED of a right
    answer. Returns ``(step, loss, correct)``: updates made, the loss and the number of contexts (of 4)
    predicted correctly at that point."""
    targets = [target(op, c) for c in CONTEXTS]
    opt = SGD(net.parameters(), lr=lr)
    step = 0
    while True:
        raws = [net.forward(c)["RAW"] for c in CONTEXTS]
        loss = cross_entropy(raws, targets)
        correct = sum(int(r[1].data > r[0].data) == t for r, t in zip(raws, targets))
        lowest = min(softmax(r)[t].data for r, t in zip(raws, targets))
        if log:
            log(step, loss.data, correct, lowest)
        if (correct == len(CONTEXTS) and lowest >= margin) or step == steps:
            return step, loss.data, correct
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1


# ---- the notes' tables ----------------------------------------------------------------------------------------
def _table(blocks, footer=None, width=None):
    """Lay blocks side by side as the notes do: a header line, then each block's lines vertically centred
    (a one-line block, a connector such as '=>', sits on the operator row). A block is a header (a str)
    followed by its lines, or just ``[connector]``. `footer`: {block index: text} printed under that block
    (the N1 N2 N3 column names). `width`: when the row is wider than this many columns, it is stacked:
    cut into bands that fit, one under the other (`_bands`). Returns a list of lines."""
    if width is not None and len(blocks) > 1:
        bands = _bands(blocks, footer or {}, width)
        if len(bands) > 1:
            return [line for i, (b, f) in enumerate(bands) for line in ([""] if i else []) + _table(b, f)]
    heads = [b[0] if len(b) > 1 else "" for b in blocks]
    bodies = [b[1:] if len(b) > 1 else b for b in blocks]
    footer = footer or {}
    height = max(len(b) for b in bodies)
    width = [max(len(x) for x in [h, footer.get(c, ""), *b]) for c, (h, b) in enumerate(zip(heads, bodies))]
    rows = [[""] * len(blocks) for _ in range(height)]
    for c, b in enumerate(bodies):
        top = (height - 1) // 2 if len(b) == 1 else (height - len(b)) // 2
        for r, line in enumerate(b):
            rows[top + r][c] = line
    join = lambda cells: "  ".join(cell.ljust(w) for cell, w in zip(cells, width)).rstrip()
    lines = [join(heads)] + [join(row) for row in rows]
    if footer:
        lines.append(join([footer.get(c, "") for c in range(len(blocks))]))
    return lines


def _bands(blocks, footer, width):
    """`blocks` cut into consecutive runs whose side-by-side layout fits `width` columns (a block wider than
    that gets a run of its own): a list of ``(blocks, footer)`` with footer indices renumbered."""
    bands, start = [], 0
    while start < len(blocks):
        end = start + 1
        while end < len(blocks) and _widest(_table(blocks[start:end + 1], _shift(footer, start, end + 1))) <= width:
            end += 1
        bands.append((blocks[start:end], _shift(footer, start, end)))
        start = end
    return bands


def _shift(footer, start, end):
    return {c - start: text for c, text in footer.items() if start <= c < end}


def _widest(lines):
    return max((len(line) for line in lines), default=0)


class _Fmt:
    def __init__(self, decimals):
        self.d = decimals

    def num(self, x):
        return f"{x:{self.d + 4}.{self.d}f}"

    def signed(self, x):
        """A number for a sum written out: negatives in brackets, ``0.1 + (-0.2)``."""
        text = self.num(x).strip()
        return f"({text})" if text.startswith("-") else text

    def col(self, header, xs):
        return [header] + [self.num(x) for x in xs]

    def vec(self, xs):
        return "[ " + ", ".join(self.num(x).strip().rjust(self.d + 3) for x in xs) + " ]"

    def names(self, prefix, n):
        """'  N1       N2       N3' aligned under the entries of `vec`."""
        return "  " + "  ".join(f"{prefix}{i + 1}".center(self.d + 3) for i in range(n))


def _headed(header, lines):
    return [header] + lines


def format_forward(tb, decimals=DECIMALS, width=None):
    """The forward table (a str) in the notes' layout, from `example_tables`' dict; stacked in bands when
    wider than `width` columns (None: one row however wide)."""
    f = _Fmt(decimals)
    emb = [f"{SYMBOLS[t]} {f.vec(row)}" for t, row in enumerate(tb["EMBEDDINGS"])]
    hw = [f.vec(row) for row in tb["HW"]]
    ow = [f"N{j + 1} {f.vec(row)}" for j, row in enumerate(tb["OW"])]
    blocks = [_headed("EMBEDDINGS", emb), ["=>"], f.col("IL", tb["IL"]), ["x"], _headed("HW", hw), ["=>"],
              f.col("RNI", tb["RNI"]), ["+"], f.col("HB", tb["HB"]), ["=>"], f.col("HI", tb["HI"]),
              ["~tanh~"], f.col("HA", tb["HA"]), ["x"], _headed("OW", ow), ["=>"], f.col("RNO", tb["RNO"]),
              ["+"], f.col("OB", tb["OB"]), ["=>"], f.col("RAW", tb["RAW"]), ["~softmax~"],
              f.col("PRED", tb["PRED"])]
    return "\n".join(_table(blocks, {4: f.names("N", HIDDEN)}, width))


def format_backward(tb, lr, decimals=DECIMALS, width=None):
    """The backward table and the gradient sections (a str) in the notes' layout, from `example_tables`;
    tables stacked in bands and prose wrapped when wider than `width` columns (None: no limit)."""
    f = _Fmt(decimals)
    a, b = tb["context"]
    out = [f"How the error signal is calculated: {TOKENS[a]} {tb['op']} {TOKENS[b]} = {TOKENS[tb['target']]}, "
           f"so the target is one-hot on {TOKENS[tb['target']]}; ErrS = PRED - REAL (read from RAW.grad)."
           if "op" in tb else "ErrS = PRED - REAL (read from RAW.grad)."]
    out += _table([_headed("", list(TOKENS)), f.col("PRED", tb["PRED"]), ["-"], f.col("REAL", tb["REAL"]),
                   ["=>"], f.col("ErrS", tb["ErrS"])], {}, width)
    ow_t = [f.vec([row[k] for row in tb["OW"]]) for k in range(CLASSES)]
    hw_t = [f"N{j + 1} {f.vec([row[j] for row in tb['HW']])}" for j in range(HIDDEN)]
    out += ["", "Back through the TRANSPOSED output and hidden weights:"]
    out += _table([f.col("ErrS", tb["ErrS"]), ["x"], _headed("TRANS(OW)", ow_t), ["=>"],
                   f.col("dHIS", tb["dHIS"]), ["x"], f.col("dT(HA)", tb["dT(HA)"]), ["=>"],
                   f.col("dHI", tb["dHI"]), ["x"], _headed("TRANS(HW)", hw_t), ["=>"], f.col("dIL", tb["dIL"])],
                  {2: f.names("N", HIDDEN)}, width)
    out += ["", "-> GRAD OUTPUT BIAS (Error Signal / ErrS)"] + _table([f.col("dBO", tb["dBO"])], {})
    dwo = [f"O{k + 1} {f.vec(row)}" for k, row in enumerate(tb["dWO"])]
    out += ["", "-> GRAD OUTPUT WEIGHTS"]
    out += _table([f.col("ErrS", tb["ErrS"]), ["~outer product~"], f.col("HA", tb["HA"]), ["=>"],
                   _headed("dWO", dwo)], {4: "   " + f.names("N", HIDDEN)}, width)
    out += ["", "-> GRAD HIDDEN WEIGHTS"]
    out += _table([f.col("IL", tb["IL"]), ["~outer product~"], f.col("dHI", tb["dHI"]), ["=>"],
                   _headed("dWH", [f.vec(row) for row in tb["dWH"]])], {4: f.names("N", HIDDEN)}, width)
    out += ["", "-> GRAD HIDDEN BIAS (dHI)"] + _table([f.col("dBH", tb["dBH"])], {})
    out += ["", "-> GRAD EMBEDDINGS", "--> FOR EACH EMBEDDING IN CONTEXT",
            "-----> APPLY ERROR (SCALED FOR LEARNING RATE)", ""]
    out += [f"{SYMBOLS[t]} {f.vec(row)}" for t, row in enumerate(tb["EMBEDDINGS"])] + ["", "  dIL"]
    for pos, g in enumerate(tb["dIL"]):
        t, d = tb["context"][pos // EMBEDDING_DIM], pos % EMBEDDING_DIM
        out.append(f"{f.num(g)} * lR => Applied to [ {f.num(tb['EMBEDDINGS'][t][d]).strip()} ] "
                   f"Dimension {d + 1} of context position {pos // EMBEDDING_DIM + 1}: token {t} \"{TOKENS[t]}\"")
    out.append("")
    for t in sorted(set(tb["context"])):
        positions = [p for p, tok in enumerate(tb["context"]) if tok == t]
        times = "TWICE" if len(positions) == 2 else "once"
        out.append(f"{SYMBOLS[t]} ({TOKENS[t]}) appeared {times} in the context"
                   + (", so it is updated with each part of dIL:" if len(positions) > 1 else ":"))
        for d in range(EMBEDDING_DIM):
            where = [p * EMBEDDING_DIM + d for p in positions]
            out.append(f"  dimension {d + 1}: grad {f.num(tb['dC'][t][d]).strip()} = "
                       + " + ".join(f"dIL[{i}]" for i in where) + " = "
                       + " + ".join(f.signed(tb["dIL"][i]) for i in where)
                       + f"  => {SYMBOLS[t]}[{d}] -= lR x grad (lR = {lr:g})")
    unused = [t for t in range(len(TOKENS)) if t not in tb["context"]]
    for t in unused:
        out.append(f"{SYMBOLS[t]} ({TOKENS[t]}) is not in the context: grad "
                   + ", ".join(f.num(x).strip() for x in tb["dC"][t]))
    out += ["", "Additionally, the gradients / deltas will be applied for:",
            "  * GRAD HIDDEN BIAS / dBH => the hidden bias vector HB",
            "  * GRAD HIDDEN WEIGHTS / dWH => the hidden weights matrix HW",
            "  * GRAD OUTPUT BIAS / dBO => the output bias vector OB",
            "  * GRAD OUTPUT WEIGHTS / dWO => the output weights matrix OW (dWO[O_k][N_j] is OW[N_j][O_k]'s grad)"]
    return wrap("\n".join(out), width, "    ")


def explain(net, context, op, lr, decimals=DECIMALS, width=None):
    """The forward and backward tables of one example (a str) and the example's dict; `width`: the columns
    to fit (None: the notes' wide layout however wide)."""
    tb = example_tables(net, context, op)
    tb["op"] = op
    a, b = context
    text = [f"Example [ {a}, {b} ]: {TOKENS[a]} {op} {TOKENS[b]} = {TOKENS[tb['target']]}; "
            f"loss {tb['loss']:.{decimals}f}. xx = False (token 0), -- = True (token 1); "
            f"N1..N3 the hidden neurons, O1 O2 the outputs False, True; lR the learning rate.",
            "", " ~~~ FORWARD ~~~", format_forward(tb, decimals, width), "", " ~~~ BACKWARD ~~~",
            format_backward(tb, lr, decimals, width)]
    return wrap("\n".join(text), width), tb


# ---- command line -----------------------------------------------------------------------------------------------
def parse_context(text):
    """'0,1' (or 'false,true', 'F,T') -> (0, 1). Raises ValueError naming the text."""
    words = {"0": 0, "1": 1, "false": 0, "true": 1, "f": 0, "t": 1}
    parts = [p.strip().lower() for p in text.split(",")]
    if len(parts) != BLOCK or any(p not in words for p in parts):
        raise ValueError(f"--explain: expected two tokens like 0,1 or false,true; got {text!r}")
    return tuple(words[p] for p in parts)


def write_graph(root, path):
    """Draw `root`'s graph to `path` (.svg, .png or .pdf, from its suffix) with the viz package. Returns a
    line saying where, or why nothing was drawn (no graphviz package, no `dot` program, an unwritable path);
    drawing is optional, so nothing is raised."""
    try:
        import viz  # needs the graphviz package (the `viz` extra); the rest of the demo does not
    except ImportError as exc:
        return f"(graph not written: {exc}; or pass --no-graph)"
    try:
        viz.render(root, path)
    except viz.GraphvizNotFoundError as exc:
        return f"(graph not written: {exc})"
    except OSError as exc:
        return f"(graph not written: {path}: {exc.strerror})"
    return f"graph of the example's loss written to {path}"


def notes_differences():
    """The cells of the notes' example (context 0,0 on the notes' weights) that differ from the notes, each
    with its explanation, from `demos/notes.py`'s audit of 001_…txt (a str; needs the seed notes)."""
    try:
        records = notes.audit()
    except notes.SeedsMissing as exc:
        return f"(cells not compared with the notes: {exc})"
    lines = ["Cells of the notes' example (seeds/001, same in 000) that differ from this float64 run:"]
    for r in records:
        if r["seed"] == notes.T1 and r["verdict"] not in ("given", "correct"):
            engine = r["engine"] if isinstance(r["engine"], str) else f"{r['engine']:.4f}"
            lines.append(f"  * line {r['line']}: {r['claim']} notes {r['written']}, engine {engine}: "
                         f"{r['verdict']}. {r['cause']}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--op", choices=sorted(OPS), default="and", help="the truth table to learn (default and)")
    ap.add_argument("--explain", metavar="CONTEXT",
                    help="print every number of one example's forward and backward pass, e.g. 0,1 (False, True)")
    ap.add_argument("--seed", type=int, default=SEED, help=f"seed of the initial weights (default {SEED})")
    ap.add_argument("--steps", type=int, default=STEPS, help=f"at most this many SGD steps (default {STEPS})")
    ap.add_argument("--lr", type=float, default=LR,
                    help=f"learning rate, written lR in the tables (default {LR})")
    ap.add_argument("--decimals", type=int, default=DECIMALS, help=f"decimals in the tables (default {DECIMALS})")
    ap.add_argument("--graph", type=graph_path, default="truth_table.svg", metavar="PATH",
                    help="where to draw the example's graph: .svg, .png or .pdf (default truth_table.svg)")
    ap.add_argument("--no-graph", action="store_true", help="do not draw the graph")
    ap.add_argument("--page", type=page_path, metavar="PATH",
                    help="also write a web page (.html) stepping through backward() of that example's loss")
    ap.add_argument("--exercise", action="store_true",
                    help="with --page: the page asks for each step's gradient before showing it")
    ap.add_argument("--weights", choices=["random", "notes"], default="random",
                    help="start from random weights (--seed) or from the weights printed in the notes")
    args = ap.parse_args(argv)
    if args.steps < 0:
        ap.error(f"--steps must be >= 0, got {args.steps}")
    if not (args.lr > 0 and math.isfinite(args.lr)):
        ap.error(f"--lr must be a finite number > 0, got {args.lr}")
    if not 0 <= args.decimals <= 12:
        ap.error(f"--decimals must be in 0..12, got {args.decimals}")
    if args.exercise and not args.page:
        ap.error("--exercise goes with --page PATH (it makes the page an exercise)")
    try:
        context = parse_context(args.explain) if args.explain else None
    except ValueError as e:
        ap.error(str(e))

    width = terminal_width()
    net = notes_net() if args.weights == "notes" else TruthTableNet(rng=args.seed)
    start = "the notes' printed weights" if args.weights == "notes" else f"seed {args.seed}"
    print(wrap(f"Truth table '{args.op}': context (a, b) -> a {args.op} b. Network: embeddings 2 x 2, "
               f"4 inputs -> 3 tanh -> 2 softmax, cross-entropy; SGD lr {args.lr:g}, {start}.", width)
          + "\n")
    if context:
        text, _ = explain(net, context, args.op, args.lr, args.decimals, width)
        print("=== BEFORE TRAINING ===\n" + text + "\n")
        if args.weights == "notes" and context == NOTES_CONTEXT:
            print(wrap(notes_differences(), width, "      ") + "\n")

    history = []
    marks = {0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}

    def log(step, loss, correct, lowest):
        history.append((step, loss, correct, lowest))

    step, loss, correct = train(net, args.op, lr=args.lr, steps=args.steps, log=log)
    first_right = next((h[0] for h in history if h[2] == len(CONTEXTS)), None)
    rows = [[s, f"{l:.6f}", f"{c}/4 ({c / 4:.0%})", f"{low:.4f}"] for s, l, c, low in history
            if s in marks or s in (step, first_right)]
    print(wrap(f"Training (full batch of the 4 contexts, mean cross-entropy) until every PRED of the right "
               f"answer is at least {MARGIN}:", width))
    print(tabulate(rows, headers=["step", "loss", "accuracy", "lowest PRED of the right answer"],
                   disable_numparse=True))
    preds = []
    for c in CONTEXTS:
        p = softmax(net.forward(c)["RAW"])
        preds.append([f"{TOKENS[c[0]]} {args.op} {TOKENS[c[1]]}", TOKENS[target(args.op, c)],
                      f"{p[1].data:.4f}", TOKENS[net.predict(c)]])
    print(tabulate(preds, headers=["context", "target", "PRED(True)", "predicted"], disable_numparse=True))
    lowest = history[-1][3]
    if correct == len(CONTEXTS) and lowest >= MARGIN:
        verdict = (f"All four contexts predicted correctly after {first_right} steps; trained on to step {step}, "
                   f"where every PRED of the right answer is at least {MARGIN} (lowest {lowest:.4f}, "
                   f"loss {loss:.6f}).")
    elif correct == len(CONTEXTS):
        verdict = (f"All four contexts predicted correctly after {first_right} steps, but the --steps limit "
                   f"({args.steps}) stopped training with the lowest PRED of a right answer at {lowest:.4f}, "
                   f"below {MARGIN} (loss {loss:.6f}). More --steps make it confident.")
    else:
        verdict = (f"NOT all contexts predicted correctly within {args.steps} steps: {correct}/4 "
                   f"(loss {loss:.6f}). Try more --steps, another --lr or another --seed.")
    print(wrap(verdict, width))

    if context:
        text, tb = explain(net, context, args.op, args.lr, args.decimals, width)
        print("\n=== AFTER TRAINING ===\n" + text)
    if not args.no_graph or args.page:
        root = tb["root"] if context else example_tables(net, CONTEXTS[0], args.op)["root"]
    if not args.no_graph:
        print(wrap(write_graph(root, args.graph), width, "  "))
    if args.page:
        ok, line = write_page(root, args.page, params=net.parameters(), exercise=args.exercise)
        print(wrap(line, width, "  "), file=sys.stdout if ok else sys.stderr)
        if not ok:
            return 1
    return 0 if correct == len(CONTEXTS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
