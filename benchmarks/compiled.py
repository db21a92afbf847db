"""Benchmark `micrograd_lite.compile` against the engine on the same training steps, in one process.

Run: ``python -m benchmarks.compiled`` (a few seconds to a minute, with the load), ``--quick``
for fewer repetitions and a smaller makemore model.

Steps (`workloads`): micrograd's moons demo (MLP(2, [16, 16, 1]) relu, 100 points, SVM loss + 1e-4 L2; the
points are the compiled step's argument) and the makemore MLP (batch 32, 3 x 10 embeddings -> 200 tanh ->
27, cross_entropy; one fixed batch: the batch's indices choose embedding rows, i.e. the graph, so the step
is compiled for that batch). Each step is zero_grad, loss and gradients, SGD. Two copies of each model
with the same weights train side by side, the engine's and the compiled one, taking turns within each
repetition (order reversed every other one), a full ``gc.collect()`` untimed before each timed step; the
report gives medians, the ratio, the largest relative difference of the losses over the run and the cost
of compiling, split into tracing (fn run twice), code generation and Python's compile().
"""

import argparse
import builtins
import gc
import os
import platform
import statistics
import sys
import time

from tabulate import tabulate

from micrograd_lite import Value, cross_entropy
from micrograd_lite.compiler import Step, codegen
from micrograd_lite.compiler.runtime import NAMESPACE
from micrograd_lite.compiler.trace import OP, trace
from . import workloads


def _moons_pair():
    X, y = workloads.moons(100)
    mg_model = workloads.moons_micrograd_model()
    models = [workloads.moons_ours_model(mg_model) for _ in range(2)]

    def loss_fn(model, opt):
        def loss(X):
            scores = [model(row)[0] for row in X]
            losses = [(1 - yi * si).relu() for yi, si in zip(y, scores)]
            return Value.sum(losses) * (1.0 / len(losses)) + 1e-4 * Value.sum([p * p for p in opt.params])
        return loss
    (m_e, o_e), (m_c, o_c) = models
    engine_loss, compiled_loss = loss_fn(m_e, o_e), loss_fn(m_c, o_c)

    def engine():
        o_e.zero_grad()
        total = engine_loss(X)
        total.backward()
        o_e.step()
        return total.data
    return engine, compiled_loss, o_c, (X,)


def _makemore_pair(hidden):
    setups = [workloads.makemore_setup(n_hidden=hidden) for _ in range(2)]
    (emb, hid, out, o_e, X, Y), (emb_c, hid_c, out_c, o_c, _, _) = setups

    def engine():
        return workloads.makemore_step(emb, hid, out, o_e, X, Y)

    def compiled_loss():
        return cross_entropy([out_c(hid_c(x)) for x in emb_c.lookup(X)], Y)
    return engine, compiled_loss, o_c, ()


def measure(name, pair, reps, clock=time.perf_counter):
    """Compile the step, then time `reps` engine and compiled steps, interleaved. Returns a dict."""
    engine, loss_fn, opt, args = pair
    gc.collect()
    t0 = clock()
    t = trace(loss_fn, args)
    t1 = clock()
    source = codegen.generate(t)
    t2 = clock()
    code = builtins.compile(source, "<bench>", "exec")
    t3 = clock()
    namespace = dict(NAMESPACE)  # what compile() does with the pieces just timed
    exec(code, namespace)
    step = Step(t, source, namespace["forward"], namespace["step"])

    def compiled():
        opt.zero_grad()
        loss = step(*args)
        opt.step()
        return loss

    times = {"engine": [], "compiled": []}
    worst = 0.0
    for r in range(reps):
        losses = {}
        for which in (("engine", "compiled") if r % 2 == 0 else ("compiled", "engine")):
            run = engine if which == "engine" else compiled
            gc.collect()
            s = clock()
            losses[which] = run()
            times[which].append(clock() - s)
        worst = max(worst, abs(losses["engine"] - losses["compiled"]) / abs(losses["engine"]))
    return {"name": name, "ops": sum(1 for k in t.kind.values() if k == OP), "lines": source.count("\n"),
            "trace": t1 - t0, "codegen": t2 - t1, "pycompile": t3 - t2,
            "engine": statistics.median(times["engine"]), "compiled": statistics.median(times["compiled"]),
            "loss_diff": worst, "reps": reps}


def report(results, load):
    rows = []
    for r in results:
        rows.append([r["name"], f"{r['ops']:,}", f"{r['lines']:,}", f"{r['engine'] * 1e3:.1f}",
                     f"{r['compiled'] * 1e3:.2f}", f"{r['engine'] / r['compiled']:.1f}x",
                     f"{r['trace']:.2f} + {r['codegen']:.2f} + {r['pycompile']:.2f}",
                     f"{(r['trace'] + r['codegen'] + r['pycompile']) / (r['engine'] - r['compiled']):.0f}",
                     f"{r['loss_diff']:.1e}"])
    table = tabulate(rows, headers=["step", "ops", "source lines", "engine ms", "compiled ms", "speed-up",
                                    "compile s (trace + codegen + compile())", "steps to recover",
                                    "loss, largest rel. difference"], disable_numparse=True)
    machine = (f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.system()} "
               f"{platform.machine()}, {os.cpu_count()} cores; perf_counter, median of {results[0]['reps']} "
               f"steps each, interleaved; load average {load[0]:.1f} before, {load[1]:.1f} after.")
    return table + "\n\n" + machine


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 repetitions and a 30-50-27 makemore model")
    args = ap.parse_args(argv)
    reps = 3 if args.quick else 9
    hidden = 50 if args.quick else 200
    load = [os.getloadavg()[0]]
    results = [measure("moons, MLP(2, [16, 16, 1]), 100 points", _moons_pair(), reps),
               measure(f"makemore, batch 32, 30-{hidden}-27", _makemore_pair(hidden), reps)]
    load.append(os.getloadavg()[0])
    print(report(results, load))
    return 0


if __name__ == "__main__":
    sys.exit(main())
