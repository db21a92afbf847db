"""Gradients of every op and fused op against PyTorch float64, on the same points.

Run: ``python -m benchmarks.torch_agreement`` (needs ``torch``, which is not in any extra: it is a large
download; ``pip install torch`` first). Prints, for each op, the largest difference between micrograd_lite's
value and gradients and PyTorch's, relative to the largest magnitude, over a grid of points inside the op's
domain and away from kinks; and the softmax family at logits from 1 to 1e16. Issue 11's target: <= 1e-12.
"""

import itertools

import torch

from micrograd_lite import Value, cross_entropy, log_softmax, softmax

# op name -> (function of micrograd_lite Values, function of torch tensors, number of inputs, points)
POINTS1 = [-2.5, -0.7, 0.3, 1.9]
POSITIVE1 = [0.2, 1.0, 3.7]
OPS = {
    "+": (lambda a, b: a + b, lambda a, b: a + b, 2, POINTS1),
    "-": (lambda a, b: a - b, lambda a, b: a - b, 2, POINTS1),
    "*": (lambda a, b: a * b, lambda a, b: a * b, 2, POINTS1),
    "/": (lambda a, b: a / b, lambda a, b: a / b, 2, POINTS1),
    "neg": (lambda a: -a, lambda a: -a, 1, POINTS1),
    "** 3": (lambda a: a ** 3, lambda a: a ** 3, 1, POINTS1),
    "** -1.5": (lambda a: a ** -1.5, lambda a: a ** -1.5, 1, POSITIVE1),
    "** Value": (lambda a, b: a ** b, lambda a, b: a ** b, 2, POSITIVE1),
    "exp": (Value.exp, torch.exp, 1, POINTS1),
    "log": (Value.log, torch.log, 1, POSITIVE1),
    "sqrt": (Value.sqrt, torch.sqrt, 1, POSITIVE1),
    "tanh": (Value.tanh, torch.tanh, 1, POINTS1),
    "sigmoid": (Value.sigmoid, torch.sigmoid, 1, POINTS1),
    "relu": (Value.relu, torch.relu, 1, POINTS1),
    "abs": (abs, torch.abs, 1, POINTS1),
    "sum": (lambda a, b, c: Value.sum([a, b, c], 0.5), lambda a, b, c: a + b + c + 0.5, 3, POINTS1),
    "dot": (lambda w1, w2, x1, x2, b: Value.dot([w1, w2], [x1, x2], b),
            lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b, 5, [-0.7, 1.9]),
    "logsumexp": (lambda *v: Value.logsumexp(v), lambda *v: torch.logsumexp(torch.stack(v), 0), 3, POINTS1),
}


def _relative(ours, theirs):
    scale = max([abs(t) for t in theirs] + [1e-300])
    return max(abs(o - t) for o, t in zip(ours, theirs)) / scale


def op_differences():
    """{op name: largest relative difference of value and gradients} over the op's grid of points."""
    result = {}
    for name, (ours, theirs, n, points) in OPS.items():
        worst = 0.0
        for point in itertools.product(points, repeat=n):
            vs = [Value(x) for x in point]
            out = ours(*vs)
            out.backward()
            ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
            t = theirs(*ts)
            t.backward()
            worst = max(worst, _relative([out.data] + [v.grad for v in vs],
                                         [t.item()] + [x.grad.item() for x in ts]))
        result[name] = worst
    return result


def softmax_differences(scales=(1.0, 1e3, 1e9, 1e12, 1e16), offsets=(0.0, 2.0, -4.0)):
    """{function: largest relative difference} of log_softmax, softmax and cross_entropy (value and
    gradients) against PyTorch float64, at logits ``scale + offsets``."""
    worst = {"log_softmax": 0.0, "softmax": 0.0, "cross_entropy": 0.0}
    for scale in scales:
        logits = [scale + d for d in offsets]
        t = torch.tensor(logits, dtype=torch.float64)
        worst["log_softmax"] = max(worst["log_softmax"], _relative([v.data for v in log_softmax(logits)],
                                                                   torch.log_softmax(t, 0).tolist()))
        worst["softmax"] = max(worst["softmax"], _relative([v.data for v in softmax(logits)],
                                                           torch.softmax(t, 0).tolist()))
        for target in range(len(logits)):
            vs = [Value(x) for x in logits]
            loss = cross_entropy(vs, target)
            loss.backward()
            tt = t.clone().requires_grad_(True)
            tl = torch.nn.functional.cross_entropy(tt.unsqueeze(0), torch.tensor([target]))
            tl.backward()
            worst["cross_entropy"] = max(worst["cross_entropy"], _relative(
                [loss.data] + [v.grad for v in vs], [tl.item()] + tt.grad.tolist()))
    return worst


def main():
    print(f"micrograd_lite against PyTorch {torch.__version__} float64: largest relative difference")
    for name, d in {**op_differences(), **softmax_differences()}.items():
        print(f"  {name:14} {d:.1e}")


if __name__ == "__main__":
    main()
