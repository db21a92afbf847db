"""The batched compiled step (`compile(..., batch=True)`, numpy) against PyTorch vectorised float64 on the same
batch: the makemore MLP (batch 32, 30-200-27) and the moons MLP (100 points, [16, 16, 1] relu, SVM loss + 1e-4
L2). Each step is loss, gradients and an SGD update; the batched step is timed through the Values
(``step(...)``: reads every ``.data``, adds to every ``.grad``, then `SGD`), on a bare parameter vector
(``step.loss_and_grad`` and ``p -= lr * g``, as ``demos/makemore.py --compile`` trains) and on the step's
`ParameterVector` with the library's optimizers (``step(*batch, vector=v)``, then ``SGD([v])`` or ``Adam([v])``
with ``zero_grad``), against PyTorch's step with the SGD update written by hand (the ratios' baseline), with
``torch.optim.SGD`` and with ``torch.optim.Adam``. The steps take turns; medians of `repeat` rounds of `number`
steps each, in CPU time (`time.process_time`); ratios to "PyTorch float64" printed.

Run: ``python -m benchmarks.batched`` (PyTorch rows only where torch is importable; it is in no extra, a large
download)."""

import random
import statistics
import time

import micrograd_lite as mg
from benchmarks.workloads import makemore_setup, moons
from micrograd_lite import MLP, SGD, Value


def _time(fn, number):
    """ms per call of `fn`, in CPU time of this process (all its threads): on a shared machine, time spent
    waiting for a core is not counted, as the wall clock would."""
    start = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - start) / number * 1e3


def _batched_steps(np, step, opt, batch):
    """{name: one step} for the batched `step` on `batch` (a tuple of arrays): through the Values (``step``,
    then `opt`, an SGD over the same parameters) and on a parameter vector (``loss_and_grad``, lr 0.1)."""
    p = np.array([v.data for v in step.params])

    def values():
        opt.zero_grad()
        step(*batch)
        opt.step()

    def vector():
        nonlocal p
        _, g = step.loss_and_grad(p, *batch)
        p -= 0.1 * g
    v, w = step.parameter_vector(), step.parameter_vector()
    sgd, adam = SGD([v], lr=0.1), mg.Adam([w], lr=1e-3)

    def with_optimizer(opt, vec):
        def run():
            opt.zero_grad()
            step(*batch, vector=vec)
            opt.step()
        return run
    return {"batched, through the Values": values, "batched, parameter vector": vector,
            "batched, vector + SGD": with_optimizer(sgd, v), "batched, vector + Adam": with_optimizer(adam, w)}


def _torch_steps(torch, forward, params):
    """{name: one step}: PyTorch's `forward` (a function of the parameters returning the loss), backward and an
    update of `params` (each variant on its own copy): by hand (``q -= 0.1 * q.grad`` under ``no_grad``, the
    baseline of the ratios), with ``torch.optim.SGD`` (lr 0.1) and with ``torch.optim.Adam`` (lr 1e-3)."""
    steps = {}
    own = [q.detach().clone().requires_grad_(True) for q in params]

    def by_hand():
        for q in own:
            q.grad = None
        forward(*own).backward()
        with torch.no_grad():
            for q in own:
                q -= 0.1 * q.grad
    steps["PyTorch float64"] = by_hand
    for name, make in (("PyTorch float64 + optim.SGD", lambda ps: torch.optim.SGD(ps, lr=0.1)),
                       ("PyTorch float64 + optim.Adam", lambda ps: torch.optim.Adam(ps, lr=1e-3))):
        mine = [q.detach().clone().requires_grad_(True) for q in params]
        opt = make(mine)

        def run(opt=opt, mine=mine):
            opt.zero_grad()
            forward(*mine).backward()
            opt.step()
        steps[name] = run
    return steps


def makemore_steps(np):
    """{name: a function running one step} on one makemore batch (batch 32, 30-200-27)."""
    emb, hidden, out, opt, X, Y = makemore_setup()
    eye = np.eye(27)

    def one_hot_loss(context, target):
        logits = out(hidden(emb.one_hot_lookup(context)))
        m = max(z.data for z in logits)
        shifted = [z - m for z in logits]
        return Value.logsumexp(shifted) - Value.dot(shifted, target)
    step = mg.compile(one_hot_loss, eye[[0, 0, 0]].tolist(), eye[0].tolist(), batch=True)
    Xo, Yo = eye[X], eye[Y]
    steps = _batched_steps(np, step, opt, (Xo, Yo))
    torch = _torch()
    if torch is not None:
        steps["batched, torch backend, vector"] = _torch_backend_step(
            torch, one_hot_loss, (eye[[0, 0, 0]].tolist(), eye[0].tolist()), (Xo, Yo))
        C = torch.tensor([[v.data for v in row] for row in emb.weight], dtype=torch.float64, requires_grad=True)
        W1 = torch.tensor([[w.data for w in n.w] for n in hidden.neurons], dtype=torch.float64, requires_grad=True)
        b1 = torch.tensor([n.b.data for n in hidden.neurons], dtype=torch.float64, requires_grad=True)
        W2 = torch.tensor([[w.data for w in n.w] for n in out.neurons], dtype=torch.float64, requires_grad=True)
        b2 = torch.tensor([n.b.data for n in out.neurons], dtype=torch.float64, requires_grad=True)
        Xt, Yt = torch.tensor(X), torch.tensor(Y)

        def forward(C, W1, b1, W2, b2):
            h = torch.tanh(C[Xt].view(len(X), -1) @ W1.T + b1)
            return torch.nn.functional.cross_entropy(h @ W2.T + b2, Yt)
        steps.update(_torch_steps(torch, forward, [C, W1, b1, W2, b2]))
    return steps


def moons_steps(np):
    pts, labels = moons(100)
    model = MLP(2, [16, 16, 1], activation="relu", rng=1)
    params = model.parameters()
    opt = SGD(params, lr=0.1)

    def hinge(x, y):
        return (1 - y * model(x)[0]).relu() + 1e-4 * Value.sum([q * q for q in params])
    step = mg.compile(hinge, [0.0, 0.0], 1.0, batch=True)
    Xa, ya = np.array(pts), np.array(labels, dtype=float)
    steps = _batched_steps(np, step, opt, (Xa, ya))
    torch = _torch()
    if torch is not None:
        steps["batched, torch backend, vector"] = _torch_backend_step(torch, hinge, ([0.0, 0.0], 1.0), (Xa, ya))
        layers = []
        for layer in model.layers:
            layers.append((torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64,
                                        requires_grad=True),
                           torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)))
        flat = [t for pair in layers for t in pair]
        Xt, yt = torch.tensor(pts, dtype=torch.float64), torch.tensor(labels, dtype=torch.float64)

        def forward(*flat):
            h = Xt
            for i in range(0, len(flat), 2):
                h = h @ flat[i].T + flat[i + 1]
                if i < len(flat) - 2:
                    h = torch.relu(h)
            return torch.relu(1 - yt * h[:, 0]).mean() + 1e-4 * sum((q * q).sum() for q in flat)
        steps.update(_torch_steps(torch, forward, flat))
    return steps


def _torch_backend_step(torch, fn, example, batch):
    """A step of `fn` compiled with ``backend='torch'`` on a parameter tensor, as `vector` on numpy."""
    step = mg.compile(fn, *example, batch=True, backend="torch")
    p = torch.tensor([v.data for v in step.params], dtype=torch.float64)
    batch = [torch.as_tensor(a) for a in batch]

    def run():
        _, g = step.loss_and_grad(p, *batch)
        p.sub_(0.1 * g)
    return run


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def run(repeat=7, number=200):
    """{workload: {step name: median ms}}."""
    import numpy as np
    random.seed(0)
    results = {}
    for workload, make in (("makemore, batch 32, 30-200-27", makemore_steps), ("moons, 100 points", moons_steps)):
        steps = make(np)
        rounds = {name: [] for name in steps}
        for _ in range(repeat):
            for name, fn in steps.items():
                rounds[name].append(_time(fn, number))
        results[workload] = {name: statistics.median(ts) for name, ts in rounds.items()}
    return results


def main():
    for workload, steps in run().items():
        print(workload)
        base = steps.get("PyTorch float64")
        for name, ms in steps.items():
            ratio = f"  {ms / base:5.2f}x PyTorch float64" if base else ""
            print(f"  {name:<30} {ms:8.3f} ms{ratio}")


if __name__ == "__main__":
    main()
