"""Benchmark micrograd_lite against micrograd 0.1.0, side by side in one process.

Run: ``python -m benchmarks.run`` (about a minute), ``--quick`` for a one-repetition smoke run on smaller
sizes, ``--clock process_time`` to count only this process's CPU time on a busy machine.

Method: every timed measurement is repeated `reps` times (6), the engines taking turns within each
repetition, their order reversed every other repetition (micrograd_lite's backward measured 5-10% slower
right after micrograd's run, which frees some 70 MB, than after the floats' run: so each engine follows
each equally often), and the median is reported. Before each timed run a full ``gc.collect()``
(not timed) clears what the previous run left, so one engine's garbage is not collected on the other's
clock; inside a timed run the garbage collector runs with Python's default settings, as in a user's
program. The table gives the ratio micrograd time / micrograd_lite time.

What is measured:
(a) forward ns per op and (b) backward ns per node on `workloads.mixed_plan` (99,999 ops of
``+ * relu **2`` on pre-built leaves; the same graph built by both engines, and by plain floats as the
floor); (c) one step of micrograd's moons demo; (d) the deepest chain ``x * 1.0 * 1.0 ...`` that
backpropagates; (e) bytes per node (tracemalloc, the same graph); (f) one makemore step (ours only);
the gradients of both engines on the same graph and the same moons step (largest difference relative
to the largest gradient); and a second table: the backward closure per node with its operands as default
arguments (the engine) against the same in cells and against one shared backward function per op (the
engine before issue 11), all three on the same graph of ``+`` and ``*`` (`backward_variants`).
"""

import argparse
import datetime
import gc
import math
import os
import platform
import shutil
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass

import micrograd.engine
from tabulate import tabulate
from tqdm import tqdm

import micrograd_lite
from . import backward_variants, workloads

ENGINES = {"micrograd": micrograd.engine.Value, "ours": micrograd_lite.Value}


@dataclass(frozen=True)
class Sizes:
    """Problem sizes and repetitions of one benchmark run."""
    width: int = 1000         # mixed graph: nodes per layer
    depth: int = 99           # mixed graph: layers (ops = width * depth + width - 1)
    reps: int = 6             # repetitions of every timed measurement (even: the alternating order then
                              # puts each engine before and after each other equally often)
    moons_points: int = 100
    moons_steps: int = 3      # consecutive steps per engine per repetition (each timed)
    chain: int = 1_000_000    # the chain micrograd_lite must backpropagate
    batch: int = 32           # makemore batch
    hidden: int = 200         # makemore hidden layer width


FULL = Sizes()
QUICK = Sizes(width=200, depth=49, reps=1, moons_steps=1, chain=100_000)


# ---- measurements -----------------------------------------------------------------------------------

def time_graph(plan, Value, clock):
    """Build `plan` with `Value` (None: plain floats) and backpropagate: (forward ns/op, backward ns/node,
    forward ns/op with the cyclic garbage collector off; None for floats). Leaves are built untimed."""
    if Value is None:
        gc.collect()
        t0 = clock()
        layers = workloads.float_forward(plan)
        t1 = clock()
        workloads.float_backward(plan, layers)
        t2 = clock()
        return (t1 - t0) / plan.ops * 1e9, (t2 - t1) / plan.ops * 1e9, None
    leaves = workloads.plan_leaves(plan, Value)
    gc.collect()
    t0 = clock()
    root = workloads.build(plan, leaves)
    t1 = clock()
    root.backward()
    t2 = clock()
    del root
    gc.collect()
    gc.disable()  # the same forward without the cyclic garbage collector: what it costs
    try:
        t3 = clock()
        root = workloads.build(plan, leaves)
        t4 = clock()
    finally:
        gc.enable()
    del root, leaves
    gc.collect()
    return (t1 - t0) / plan.ops * 1e9, (t2 - t1) / plan.ops * 1e9, (t4 - t3) / plan.ops * 1e9


def time_engines(plan, engines, reps, clock):
    """`time_graph` for every engine ({name: Value class or None}), `reps` times, the engines' order
    alternating. Returns {"forward": {name: [ns, ...]}, "backward": {...}, "forward_nogc": {...}}."""
    out = {"forward": {}, "backward": {}, "forward_nogc": {}}
    names = list(engines)
    for rep in range(reps):
        for name in names if rep % 2 == 0 else names[::-1]:
            for key, t in zip(out, time_graph(plan, engines[name], clock)):
                if t is not None:
                    out[key].setdefault(name, []).append(t)
    return out


def mixed_graph(sizes, clock):
    """(a), (b): forward ns/op and backward ns/node on the mixed graph for each engine and plain floats,
    and forward ns/op with the cyclic garbage collector off: `time_engines`' result plus "ops" and
    "graph_depth"."""
    plan = workloads.mixed_plan(sizes.width, sizes.depth)
    result = time_engines(plan, {**ENGINES, "floats": None}, sizes.reps, clock)
    result["ops"] = plan.ops
    result["graph_depth"] = sizes.depth + math.ceil(math.log2(sizes.width))
    return result


def mixed_gradients(sizes):
    """d root / d leaf from both engines on the same mixed graph: their `max_relative_difference` over all
    leaves, and the number of leaves compared."""
    plan = workloads.mixed_plan(sizes.width, sizes.depth)
    grads = {}
    for name, Value in ENGINES.items():
        first, consts = workloads.plan_leaves(plan, Value)
        workloads.build(plan, (first, consts)).backward()
        grads[name] = [v.grad for v in first] + [v.grad for cs in consts if cs for v in cs]
    gc.collect()
    return max_relative_difference(grads["micrograd"], grads["ours"]), len(grads["ours"])


def max_relative_difference(reference, values):
    """max_i |values[i] - reference[i]| / max_i |reference[i]|: the largest difference relative to the
    largest gradient. (Per element it is ill-posed: micrograd adds a node's gradient contributions in an
    order that depends on memory addresses, and where they cancel to ~0 the last bits are all that is left.)"""
    scale = max(abs(r) for r in reference)
    worst = max(abs(v - r) for r, v in zip(reference, values, strict=True))
    return worst / scale if scale else worst


def bytes_per_node(sizes):
    """(e): memory held by the mixed graph's op nodes (tracemalloc), per op, leaves excluded."""
    plan = workloads.mixed_plan(sizes.width, sizes.depth)
    result = {}
    for name, Value in ENGINES.items():
        leaves = workloads.plan_leaves(plan, Value)
        gc.collect()
        tracemalloc.start()
        root = workloads.build(plan, leaves)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        result[name] = held / plan.ops
        del root, leaves
        gc.collect()
    return result


def moons(sizes, clock):
    """(c): ms per step of micrograd's moons demo for both engines (same data, same initial weights), and
    the `max_relative_difference` of their first step's parameter gradients. Each engine runs
    `sizes.moons_steps` consecutive steps per repetition, each timed, so that, as in training, a step's
    garbage is collected while the next ones run (micrograd's graphs are cycles: only the collector frees
    them)."""
    X, y = workloads.moons(sizes.moons_points)
    mg = workloads.moons_micrograd_model()
    ours, opt = workloads.moons_ours_model(mg)
    # Gradients first: a step with lr 0 computes them and leaves the weights as they are.
    workloads.moons_step_micrograd(mg, X, y, lr=0.0)
    workloads.moons_step_ours(ours, opt, X, y, lr=0.0)
    diff = max_relative_difference([p.grad for p in mg.parameters()], [p.grad for p in ours.parameters()])
    steps = {"micrograd": lambda lr: workloads.moons_step_micrograd(mg, X, y, lr),
             "ours": lambda lr: workloads.moons_step_ours(ours, opt, X, y, lr)}
    times = {}
    k = 0
    for rep in range(sizes.reps):
        for name in list(steps) if rep % 2 == 0 else list(steps)[::-1]:
            gc.collect()
            for s in range(sizes.moons_steps):
                lr = 1.0 - 0.9 * (k + s) / 100  # the demo's schedule
                t0 = clock()
                steps[name](lr)
                times.setdefault(name, []).append((clock() - t0) * 1e3)
        k += sizes.moons_steps
    gc.collect()
    return {"ms": times, "grad_diff": diff}


def chains(sizes, clock):
    """(d): micrograd's deepest chain that backpropagates (found by bisection, under this interpreter's
    recursion limit) and micrograd_lite's time to build and backpropagate a `sizes.chain`-op chain."""
    def works(n):
        _, y = workloads.chain(ENGINES["micrograd"], n)
        try:
            y.backward()
            return True
        except RecursionError:
            return False

    lo, hi = 1, 2
    while works(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:  # works(lo), not works(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if works(mid) else (lo, mid)
    gc.collect()
    t0 = clock()
    x, y = workloads.chain(ENGINES["ours"], sizes.chain)
    t1 = clock()
    y.backward()
    t2 = clock()
    ok = x.grad == 1.0
    del x, y
    gc.collect()
    return {"micrograd_max": lo, "recursion_limit": sys.getrecursionlimit(), "ours_n": sizes.chain,
            "ours_ok": ok, "ours_build_s": t1 - t0, "ours_backward_s": t2 - t1}


def makemore(sizes, clock):
    """(f): ms per makemore step (forward, cross_entropy, zero_grad, backward, SGD), micrograd_lite only."""
    setup = workloads.makemore_setup(batch=sizes.batch, n_hidden=sizes.hidden)
    times = []
    for _ in range(sizes.reps):
        gc.collect()
        t0 = clock()
        workloads.makemore_step(*setup)
        times.append((clock() - t0) * 1e3)
    gc.collect()
    return {"ms": times}


CLOSURE_ENGINES = {
    "micrograd_lite: closure per node, operands as default arguments": micrograd_lite.Value,
    "closure per node, operands in cells": backward_variants.CellValue,
    "one shared backward function per op (the engine before issue 11)": backward_variants.SharedFunctionValue,
}


def closures(sizes, clock):
    """The second table: forward (with and without the cyclic GC), backward and bytes per node on a graph of
    + and * only, for our engine, the two closure variants and plain floats."""
    plan = workloads.mixed_plan(sizes.width, sizes.depth, stages=workloads.ADD_MUL_STAGES)
    result = time_engines(plan, {**CLOSURE_ENGINES, "plain floats (the floor)": None}, sizes.reps, clock)
    result["bytes"] = {}
    for name, Value in CLOSURE_ENGINES.items():
        leaves = workloads.plan_leaves(plan, Value)
        gc.collect()
        tracemalloc.start()
        root = workloads.build(plan, leaves)
        result["bytes"][name] = tracemalloc.get_traced_memory()[0] / plan.ops
        tracemalloc.stop()
        del root, leaves
        gc.collect()
    result["ops"] = plan.ops
    return result


# ---- the report -------------------------------------------------------------------------------------

def run_all(sizes, clock=time.perf_counter, progress=False):
    """Every measurement, as a dict of the functions' results. `progress`: a tqdm bar on stderr, one tick
    per measurement, naming the one running."""
    load_before = _load()
    parts = {
        "mixed": lambda: mixed_graph(sizes, clock),
        "mixed_grad": lambda: mixed_gradients(sizes),
        "bytes": lambda: bytes_per_node(sizes),
        "moons": lambda: moons(sizes, clock),
        "chain": lambda: chains(sizes, clock),
        "makemore": lambda: makemore(sizes, clock),
        "closures": lambda: closures(sizes, clock),
    }
    results = {"sizes": sizes, "clock": clock.__name__}
    bar = tqdm(parts.items(), total=len(parts), unit="part", disable=not progress, leave=False)
    for name, measure in bar:
        bar.set_description(f"benchmark {name}")
        results[name] = measure()
    results["load"] = (load_before, _load())
    return results


def _load():
    try:
        return os.getloadavg()[0]
    except OSError:  # not available on this platform
        return math.nan


def _med(xs):
    return statistics.median(xs)


def _ratio(a, b):
    return f"{a / b:.1f}x"


def format_report(r, width=None):
    """The markdown report: the comparison table, the closure table and the machine line. A table wider than
    `width` columns (None: no limit) is stacked, one record per row (`_stacked`)."""
    s = r["sizes"]
    m, mem, mo, ch, mm = r["mixed"], r["bytes"], r["moons"]["ms"], r["chain"], r["makemore"]["ms"]
    f = {k: _med(v) for k, v in m["forward"].items()}
    b = {k: _med(v) for k, v in m["backward"].items()}
    g = {k: _med(v) for k, v in m["forward_nogc"].items()}
    steps = {k: _med(v) for k, v in mo.items()}
    rows = [
        [f"(a) forward, {m['ops']:,}-op mixed graph, {m['graph_depth']} deep (ns/op)",
         f"{f['micrograd']:,.0f}", f"{f['ours']:,.0f}",
         _ratio(f["micrograd"], f["ours"]), ">= 2.5x", f"{f['floats']:,.0f}"],
        ["(a') forward, the same with the cyclic GC off (ns/op)", f"{g['micrograd']:,.0f}", f"{g['ours']:,.0f}",
         _ratio(g["micrograd"], g["ours"]), "", ""],
        ["(b) backward, same graph (ns/node)", f"{b['micrograd']:,.0f}", f"{b['ours']:,.0f}",
         _ratio(b["micrograd"], b["ours"]), ">= 1.5x", f"{b['floats']:,.0f}"],
        [f"(c) moons demo step, MLP(2,[16,16,1]), {s.moons_points} points (ms)", f"{steps['micrograd']:,.1f}",
         f"{steps['ours']:,.2f}", _ratio(steps["micrograd"], steps["ours"]), ">= 15x (stretch 40x)", ""],
        ["(d) deepest chain that backpropagates (ops)",
         f"{ch['micrograd_max']:,} (RecursionError at {ch['micrograd_max'] + 1:,}; "
         f"limit {ch['recursion_limit']:,})",
         f"{ch['ours_n']:,} {'works' if ch['ours_ok'] else 'FAILS'} "
         f"(build {ch['ours_build_s']:.1f} s, backward {ch['ours_backward_s']:.1f} s)",
         "", "1,000,000 works", ""],
        ["(e) memory per node, tracemalloc (bytes)", f"{mem['micrograd']:,.0f}", f"{mem['ours']:,.0f}",
         _ratio(mem["micrograd"], mem["ours"]), ">= 1.43x (<= 0.7x)", ""],
        [f"(f) makemore step, batch {s.batch}, 30-{s.hidden}-27 MLP (ms)", "", f"{_med(mm):,.1f}", "", "", ""],
        ["gradients, largest difference / largest gradient (mixed graph; moons step)", "",
         f"{r['mixed_grad'][0]:.1e} over {r['mixed_grad'][1]:,} leaves; {r['moons']['grad_diff']:.1e}",
         "", "<= 1e-12", ""],
    ]
    headers = ["", "micrograd 0.1.0", "micrograd_lite", "micrograd / ours", "target", "plain floats"]
    main = _fit(rows, headers, width)
    c = r["closures"]
    crow = [[name, f"{_med(c['forward'][name]):,.0f}",
             f"{_med(c['forward_nogc'][name]):,.0f}" if name in c["forward_nogc"] else "",
             f"{_med(c['backward'][name]):,.0f}",
             f"{c['bytes'][name]:,.0f}" if name in c["bytes"] else ""] for name in c["forward"]]
    ctable = _fit(crow, [f"backward mechanism ({c['ops']:,} ops of + and *)", "forward ns/op",
                         "forward, GC off", "backward ns/node", "bytes/node"], width)
    machine = (f"Python {platform.python_version()} ({platform.python_implementation()}), "
               f"{platform.system()} {platform.machine()}, {_cpu()}, {os.cpu_count()} cores; "
               f"clock {r['clock']}, median of {s.reps} repetition{'s' if s.reps > 1 else ''} "
               f"(moons: {s.moons_steps} step{'s' if s.moons_steps > 1 else ''} per repetition), "
               f"engines interleaved; load average {r['load'][0]:.1f} before, {r['load'][1]:.1f} after; "
               f"{datetime.date.today().isoformat()}.")
    return f"{main}\n\n{ctable}\n\n{machine}\n"


def _fit(rows, headers, width):
    """A github-format table when it fits `width` columns (None: always), else `_stacked`."""
    table = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    return table if width is None or len(table.splitlines()[0]) <= width else _stacked(rows, headers)


def _stacked(rows, headers):
    """The first column's header (when it has one), then one record per row: its first cell, then
    ``  header: cell`` for each other non-empty cell."""
    lines = [f"{headers[0]}:"] if headers[0] else []
    for row in rows:
        lines += [row[0]] + [f"  {h}: {cell}" for h, cell in zip(headers[1:], row[1:]) if cell]
    return "\n".join(lines)


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one repetition on smaller sizes (a smoke run)")
    parser.add_argument("--clock", choices=["perf_counter", "process_time"], default="perf_counter",
                        help="wall time (default) or this process's CPU time (steadier on a busy machine)")
    args = parser.parse_args(argv)
    # On a terminal: a progress bar, and tables that fit it. Into a file: the full tables, for the README.
    tty = sys.stdout.isatty()
    results = run_all(QUICK if args.quick else FULL, getattr(time, args.clock), progress=sys.stderr.isatty())
    print(format_report(results, shutil.get_terminal_size().columns if tty else None))


if __name__ == "__main__":
    main()
