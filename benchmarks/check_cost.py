"""The cost of checking a derivation (`micrograd_lite.explain.check`) on micrograd's moons MLP.

Run: ``python -m benchmarks.check_cost`` (``--reps N``, ``--points N``).

Workload: ``MLP(2, [16, 16, 1])`` with relu hidden layers (337 parameters, `demos/moons.py`), the demo's
loss (mean max-margin loss plus the L2 term) on `points` (default 4) fixed moons-like points; every
parameter labelled by its `named_parameters()` name, the loss ``loss``. Ten claims, five wrong (each wrong
one searched for its causes): the loss, three gradients and an SGD step correct, and the same five written
wrong (a sign, a decimal point, the learning rate, a factor 2, a digit). Each repetition builds the graph
afresh and times one `check` call (wall clock and this process's CPU time); the median and the range of
`reps` repetitions are printed with the machine's load average (`os.getloadavg`).
"""

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from demos import moons  # noqa: E402
from micrograd_lite.explain import check, claim_value  # noqa: E402

LR = 0.5


def points(n):
    """`n` points on the two moons (no noise), labels -1 / +1: deterministic, no scikit-learn needed."""
    X, y = [], []
    for k in range(n):
        t = math.pi * (k + 0.5) / n
        if k % 2:
            X.append([1 - math.cos(t), 0.5 - math.sin(t)])
            y.append(-1.0)
        else:
            X.append([math.cos(t), math.sin(t)])
            y.append(1.0)
    return X, y


def workload(n_points=4):
    """(loss, claims): the moons loss with every parameter labelled, and ten claims, five of them wrong."""
    model = moons.make_model()
    for name, p in model.named_parameters():
        p.label = name
    X, y = points(n_points)
    loss, _ = moons.loss(model, X, y)
    loss.label = "loss"
    names = ["loss", "∂loss/∂layers.0.neurons.3.w.1", "∂loss/∂layers.1.neurons.7.b",
             "∂loss/∂layers.2.neurons.0.w.5", "layers.1.neurons.2.w.9+"]
    values = [claim_value(loss, name, lr=LR) for name in names]
    claims = {name: f"{v:.6g}" for name, v in zip(names, values)}
    wrong = [f"{-values[0]:.6g}", f"{values[1] * 10:.6g}", f"{values[2] * LR:.6g}", f"{values[3] * 2:.6g}",
             f"{values[4] + 0.1234:.6g}"]
    claims.update({" " + name: text for name, text in zip(names, wrong)})  # a leading space: the same name
    return loss, claims


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--points", type=int, default=4)
    args = ap.parse_args(argv)
    times, cpu = [], []
    for _ in range(args.reps):
        loss, claims = workload(args.points)
        t, c = time.perf_counter(), time.process_time()
        report = check(loss, claims, lr=LR)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    verdicts = [item.verdict for item in report]
    print(f"check, {len(claims)} claims ({verdicts.count('wrong')} wrong) on MLP(2, [16, 16, 1]), "
          f"{args.points} points, {len(report.items)} verdicts")
    print(f"wall: median {statistics.median(times):.3f} s, range {min(times):.3f}-{max(times):.3f} s; this process's "
          f"CPU: median {statistics.median(cpu):.3f} s, range {min(cpu):.3f}-{max(cpu):.3f} s; {args.reps} runs; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
