"""One step of microgpt's schedule: micrograd_lite's engine against a microgpt-style engine, side by side.

A step is microgpt's: one name, its loss graph built, ``backward()``, an Adam update (lr 0.01 decayed
linearly over 1,000 steps, betas (0.85, 0.99), eps 1e-8). Ours is `demos.gpt.GPT` with `micrograd_lite.Adam`;
the other is `benchmarks.microgpt_style` (the published design: a tuple of local gradients per node, binary
ops, a recursive topological sort) with a copy of the same weights. Both take the same names in the same
order (the first `steps` names of the training split, shuffled by seed 42 as `demos/gpt.py` does), the two
engines taking turns at every step, the one going first alternating; before each timed step a full
``gc.collect()`` (not timed) clears what the previous one left, and inside the step the garbage collector runs
with Python's defaults, as in a user's program. Printed: the median and the range of the per-step times of
each, the ratio of the medians (theirs / ours), the nodes per graph for the first name, and the largest
difference between the two engines' losses over the steps (the same numbers, to rounding).

Run: ``PYTHONPATH=. python -m benchmarks.gpt_step --data ../shared/data/names.txt [--steps 60]
[--clock process_time]``.
"""

import argparse
import gc
import os
import random
import statistics
import sys
import time

from demos import gpt
from demos.makemore import load_words, split_words
from micrograd_lite import Adam, topological_order
from . import microgpt_style

CLOCKS = {"perf_counter": time.perf_counter, "process_time": time.process_time}


def count_nodes(root):
    """Nodes of a microgpt-style graph (iteratively, to count a graph of any depth)."""
    seen, stack = {root}, [root]
    while stack:
        for child in stack.pop()._children:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return len(seen)


def run(words, steps=60, clock=time.perf_counter, seed=gpt.SEED, total_steps=gpt.STEPS):
    """Time `steps` steps of each engine on the first `steps` names of `words` shuffled by `seed`. Returns a
    dict: ``ms`` (engine -> list of step times in ms), ``loss_diff`` (largest |loss ours - loss theirs|),
    ``nodes`` (engine -> nodes of the first name's graph)."""
    order = list(words)
    rng = random.Random(seed)
    rng.shuffle(order)
    ours = gpt.GPT(rng=seed)
    theirs = microgpt_style.MicroGPT(ours)
    opt = Adam(ours.parameters(), lr=gpt.LR, betas=gpt.BETAS, eps=gpt.ADAM_EPS)
    m, v = [0.0] * len(theirs.params), [0.0] * len(theirs.params)
    first = gpt.encode(order[0])
    nodes = {"ours": len(topological_order(ours.loss(first))), "microgpt-style": count_nodes(theirs.loss(first))}

    def step_ours(tokens, lr):
        loss = ours.loss(tokens)
        opt.zero_grad()
        loss.backward()
        opt.lr = lr
        opt.step()
        return loss.data

    def step_theirs(tokens, lr, t):
        loss = theirs.loss(tokens)
        loss.backward()
        microgpt_style.adam_step(theirs.params, m, v, t, lr, *gpt.BETAS, gpt.ADAM_EPS)
        return loss.data

    ms = {"ours": [], "microgpt-style": []}
    worst = 0.0
    for k in range(steps):
        tokens = gpt.encode(order[k % len(order)])
        lr = gpt.LR * (1 - k / total_steps)
        runs = [("ours", lambda: step_ours(tokens, lr)), ("microgpt-style", lambda: step_theirs(tokens, lr, k + 1))]
        losses = {}
        for name, fn in (runs if k % 2 == 0 else runs[::-1]):
            gc.collect()
            t0 = clock()
            losses[name] = fn()
            ms[name].append((clock() - t0) * 1e3)
        worst = max(worst, abs(losses["ours"] - losses["microgpt-style"]))
    return {"ms": ms, "loss_diff": worst, "nodes": nodes}


def format_report(results, steps, clock_name):
    ms = results["ms"]
    ours, theirs = statistics.median(ms["ours"]), statistics.median(ms["microgpt-style"])
    lines = [f"microgpt's schedule, one name per step, {steps} steps per engine, interleaved ({clock_name}); "
             f"load average {_load()}"]
    for name in ("microgpt-style", "ours"):
        lines.append(f"  {name:<15} median {statistics.median(ms[name]):8.2f} ms per step  (range "
                     f"{min(ms[name]):.2f} .. {max(ms[name]):.2f}), {results['nodes'][name]:,} nodes for the "
                     f"first name")
    lines.append(f"  ratio microgpt-style / ours: {theirs / ours:.1f}x  (ours is {ours / theirs:.3f} of its step)")
    lines.append(f"  largest difference between the two engines' losses: {results['loss_diff']:.2e}")
    return "\n".join(lines)


def _load():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", metavar="PATH", help="names file (default: the census names of the `names` package)")
    ap.add_argument("--steps", type=int, default=60, help="steps per engine (default %(default)s)")
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="perf_counter")
    args = ap.parse_args(argv)
    words, description = load_words(args.data)
    train, _, _ = split_words(words)
    print(f"data: {description}; Python {sys.version.split()[0]}")
    print(format_report(run(train, args.steps, CLOCKS[args.clock]), args.steps, args.clock))


if __name__ == "__main__":
    main()
