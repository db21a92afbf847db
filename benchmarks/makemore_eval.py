"""How to evaluate the makemore MLP fast: the full dev loss four ways, timed.

1. the Value forward under ``no_grad()`` (batches of 32, `cross_entropy`), the model as trained;
2. the plain-float forward (`FloatForward`) on every example;
3. the plain-float forward once per distinct context, weighted by its targets' counts (`evaluate` without numpy);
4. `evaluate` with numpy: the distinct contexts as one batch of arrays (`ArrayForward`).

All four give the same loss (printed, to 1e-12). Run:
``PYTHONPATH=. python benchmarks/makemore_eval.py [--data PATH] [--emb 3] [--hidden 100]``.
"""

import argparse
import math
import time

from demos import makemore as mm
from micrograd_lite import cross_entropy, no_grad


def value_forward_loss(model, X, Y, batch=32):
    with no_grad():
        total = 0.0
        for i in range(0, len(X), batch):
            total += cross_entropy(model(X[i:i + batch]), Y[i:i + batch], reduction="sum").data
    return total / len(X)


def float_forward_loss(model, X, Y):
    f = mm.FloatForward(model)
    nll = 0.0
    for x, y in zip(X, Y):
        logits = f.logits(x)
        m = max(logits)
        nll += m + math.log(sum(math.exp(z - m) for z in logits)) - logits[y]
    return nll / len(X)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="names file (default: the census names)")
    ap.add_argument("--emb", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=100)
    args = ap.parse_args()
    words, description = mm.load_words(args.data)
    _, dev, _ = mm.split_words(words)
    X, Y = mm.build_dataset(dev)
    model = mm.NameMLP(args.emb, args.hidden, rng=0, output_scale=1.0)
    print(f"{description}; dev: {len(X):,} examples, {len(set(map(tuple, X))):,} distinct contexts; {model!r}")
    mm._numpy()  # numpy imported before the clock starts (when installed)
    results = []
    for name, fn in [("Value forward, no_grad()", value_forward_loss),
                     ("float forward, every example", float_forward_loss),
                     ("float forward, distinct contexts", mm._evaluate_floats),
                     ("numpy, distinct contexts (evaluate)", mm.evaluate)]:
        start = time.perf_counter()
        loss = fn(model, X, Y)
        seconds = time.perf_counter() - start
        results.append(loss)
        print(f"{name:<45} loss {loss:.12f}  {seconds:7.2f} s  {len(X) / seconds:>10,.0f} examples/s")
    assert max(results) - min(results) < 1e-12, results


if __name__ == "__main__":
    main()
