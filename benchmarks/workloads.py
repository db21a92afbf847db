"""The workloads the benchmark times, each written once and run by every engine.

An *engine* here is anything with micrograd's scalar interface: a class ``Value(x)`` whose instances
support ``+``, ``*``, ``** number``, ``.relu()``, ``.data``, ``.grad`` and ``.backward()``. micrograd 0.1.0,
micrograd_lite and the variants in `backward_variants` all qualify; plain floats run the same
plans as the floor (the cost of the arithmetic alone, with the same loops around it).

- `mixed_plan`: a layered graph of ``width`` nodes per layer and ``depth`` layers, every op one of
  ``+ * relu **2`` between Values (multiplications by pre-built constant leaves keep the values near 1),
  then a pairwise ``+`` tree down to one root. Every node is used, so backward visits all of them.
  Depth is ``depth + log2(width)``: shallow enough for micrograd's recursive sort.
- `moons`: micrograd's demo (its README's ``demo.ipynb``): two interleaving half circles, an
  MLP(2, [16, 16, 1]) with relu, SVM max-margin loss + 1e-4 L2, one SGD step.
- `makemore_step`: the makemore MLP (A. Karpathy, "makemore" part 2): Embedding(27, 10), a block of
  3 characters -> Layer(30, 200, tanh) -> Layer(200, 27, linear) -> cross_entropy, batch 32.
"""

import math
import random
from dataclasses import dataclass

# ---- the mixed graph -------------------------------------------------------------------------------------

# One layer's op per stage, cycled. "*c" multiplies each node by its own constant leaf chosen so the
# product's magnitude is in [0.5, 2] and positive 70% of the time: without it products and squares drift
# to 0 or overflow within a few dozen layers, relu and products turn every node into 0, and the gradients
# compared would be 0 or inf. Ops: 3/7 are *, 2/7 +, 1/7 relu, 1/7 **2.
STAGES = ("*c", "relu", "+", "*c", "*", "**", "+")
# Only + and * (half of each), for the variants of `backward_variants`, which implement just those.
ADD_MUL_STAGES = ("*c", "+", "*", "+")


@dataclass
class Plan:
    """A graph recipe: `leaves` (`width` floats), `stages` (one ``(op, i, j)`` per layer: `i` lists the first
    operands as indices into the previous layer, `j` the second operands' indices for + and *, the
    constants for "*c", None for relu and **2), and the number of ops it makes."""
    width: int
    leaves: list
    stages: list
    ops: int


def mixed_plan(width=1000, depth=99, seed=0, stages=STAGES):
    """The recipe of a `depth`-layer graph `width` nodes wide plus a ``width - 1`` node ``+`` tree:
    ``width * depth + width - 1`` ops (99,999 with the defaults). Deterministic in `seed`."""
    rng = random.Random(seed)
    xs = [rng.uniform(0.5, 2.0) * rng.choice((-1.0, 1.0)) for _ in range(width)]
    leaves = list(xs)
    plan_stages = []
    for layer in range(depth):
        op = stages[layer % len(stages)]
        i = list(range(width))
        rng.shuffle(i)
        j = list(range(width))
        rng.shuffle(j)
        if op == "+":
            xs = [xs[a] + xs[b] for a, b in zip(i, j)]
            plan_stages.append((op, i, j))
        elif op == "*":
            xs = [xs[a] * xs[b] for a, b in zip(i, j)]
            plan_stages.append((op, i, j))
        elif op == "relu":
            xs = [xs[a] if xs[a] > 0.0 else 0.0 for a in i]
            plan_stages.append((op, i, None))
        elif op == "**":
            xs = [xs[a] ** 2 for a in i]
            plan_stages.append((op, i, None))
        elif op == "*c":
            cs = [rng.uniform(0.5, 2.0) * (1.0 if rng.random() < 0.7 else -1.0) / max(abs(xs[a]), 1e-3)
                  * (-1.0 if xs[a] < 0.0 else 1.0) for a in i]
            xs = [xs[a] * c for a, c in zip(i, cs)]
            plan_stages.append((op, i, cs))
        else:
            raise ValueError(f"mixed_plan: unknown stage {op!r}")
    return Plan(width, leaves, plan_stages, width * depth + width - 1)


def plan_leaves(plan, Value):
    """The leaves of `plan` as `Value`s: the first layer, then one constant per "*c" node, per stage."""
    first = [Value(x) for x in plan.leaves]
    consts = [[Value(c) for c in cs] if op == "*c" else None for op, _, cs in plan.stages]
    return first, consts


def build(plan, leaves):
    """Run `plan` on `leaves` (from `plan_leaves`) with the leaves' engine; returns the root."""
    xs, consts = leaves
    for (op, i, j), cs in zip(plan.stages, consts):
        if op == "+":
            xs = [xs[a] + xs[b] for a, b in zip(i, j)]
        elif op == "*":
            xs = [xs[a] * xs[b] for a, b in zip(i, j)]
        elif op == "relu":
            xs = [xs[a].relu() for a in i]
        elif op == "**":
            xs = [xs[a] ** 2 for a in i]
        else:  # "*c"
            xs = [xs[a] * c for a, c in zip(i, cs)]
    return _tree_sum(xs)


def _tree_sum(xs):
    """Pairwise + down to one value: depth log2(len(xs)) instead of len(xs)."""
    while len(xs) > 1:
        pairs = [xs[k] + xs[k + 1] for k in range(0, len(xs) - 1, 2)]
        xs = pairs + xs[-1:] if len(xs) % 2 else pairs
    return xs[0]


def float_forward(plan):
    """The floor for the forward pass: `build` with plain floats (relu inlined). Returns every layer's
    values (a list of lists), which `float_backward` needs, and the root as the last one."""
    xs = list(plan.leaves)
    layers = [xs]
    for op, i, j in plan.stages:
        if op == "+":
            xs = [xs[a] + xs[b] for a, b in zip(i, j)]
        elif op == "*":
            xs = [xs[a] * xs[b] for a, b in zip(i, j)]
        elif op == "relu":
            xs = [x if x > 0.0 else 0.0 for x in [xs[a] for a in i]]
        elif op == "**":
            xs = [xs[a] ** 2 for a in i]
        else:
            xs = [xs[a] * c for a, c in zip(i, j)]
        layers.append(xs)
    while len(xs) > 1:  # the + tree, as _tree_sum
        pairs = [xs[k] + xs[k + 1] for k in range(0, len(xs) - 1, 2)]
        xs = pairs + xs[-1:] if len(xs) % 2 else pairs
        layers.append(xs)
    return layers


def float_backward(plan, layers):
    """The floor for the backward pass: the same chain rule on plain floats held in lists, one
    multiply-add per local derivative. Returns d root / d leaf for the first layer's leaves (a list)."""
    g = [1.0]
    for level in range(len(layers) - 1, len(plan.stages), -1):  # back through the + tree
        size = len(layers[level - 1])
        below = [0.0] * size
        for k, gk in enumerate(g):
            below[2 * k] += gk
            if 2 * k + 1 < size:  # else: the odd one out, passed up unchanged
                below[2 * k + 1] += gk
        g = below
    for s in range(len(plan.stages) - 1, -1, -1):
        op, i, j = plan.stages[s]
        x = layers[s]
        below = [0.0] * len(x)
        if op == "+":
            for a, b, gk in zip(i, j, g):
                below[a] += gk
                below[b] += gk
        elif op == "*":
            for a, b, gk in zip(i, j, g):
                below[a] += x[b] * gk
                below[b] += x[a] * gk
        elif op == "relu":
            y = layers[s + 1]
            for k, (a, gk) in enumerate(zip(i, g)):
                if y[k] > 0.0:
                    below[a] += gk
        elif op == "**":
            for a, gk in zip(i, g):
                below[a] += 2.0 * x[a] * gk
        else:
            for a, c, gk in zip(i, j, g):
                below[a] += c * gk
        g = below
    return g


# ---- a chain --------------------------------------------------------------------------------------------

def chain(Value, n):
    """``x * 1.0 * 1.0 ...``: `n` ops deep. Returns (leaf, root)."""
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y * 1.0
    return x, y


# ---- micrograd's moons demo ------------------------------------------------------------------------------

def moons(n=100, noise=0.1, seed=0):
    """Two interleaving half circles, as ``sklearn.datasets.make_moons(n, noise=noise)`` draws them:
    `n` points (a list of [x, y] pairs) and labels -1/+1 (micrograd's demo maps 0/1 to -1/+1)."""
    rng = random.Random(seed)
    n_out = n // 2
    n_in = n - n_out
    pts = [[math.cos(math.pi * k / (n_out - 1)), math.sin(math.pi * k / (n_out - 1))] for k in range(n_out)]
    pts += [[1.0 - math.cos(math.pi * k / (n_in - 1)), 0.5 - math.sin(math.pi * k / (n_in - 1))]
            for k in range(n_in)]
    pts = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for x, y in pts]
    labels = [-1] * n_out + [1] * n_in
    return pts, labels


def moons_micrograd_model(seed=1337):
    """micrograd's own MLP(2, [16, 16, 1]) (relu hidden layers, linear output), drawn from ``random`` seeded
    with `seed` as its demo does."""
    from micrograd.nn import MLP
    random.seed(seed)
    return MLP(2, [16, 16, 1])


def moons_step_micrograd(model, X, y, lr):
    """One step of micrograd's demo: forward, SVM max-margin loss + 1e-4 L2, zero_grad, backward, SGD.
    Returns the loss (a float)."""
    from micrograd.engine import Value
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def moons_ours_model(mg_model):
    """micrograd_lite's MLP(2, [16, 16, 1], relu) holding the same weights as micrograd's `mg_model`, and an
    SGD optimizer for it."""
    from micrograd_lite import MLP, SGD
    weights = [[[w.data for w in n.w] for n in layer.neurons] for layer in mg_model.layers]
    biases = [[n.b.data for n in layer.neurons] for layer in mg_model.layers]
    model = MLP(2, [16, 16, 1], activation="relu", weights=weights, biases=biases)
    return model, SGD(model.parameters(), lr=1.0)


def moons_step_ours(model, opt, X, y, lr):
    """The same step with micrograd_lite's idioms (fused sums). Returns the loss (a float)."""
    from micrograd_lite import Value
    scores = [model(row)[0] for row in X]
    losses = [(1 - yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = Value.sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * Value.sum([p * p for p in opt.params])
    total = data_loss + reg_loss
    opt.zero_grad()
    total.backward()
    opt.lr = lr
    opt.step()
    return total.data


# ---- makemore ------------------------------------------------------------------------------------------

def makemore_setup(batch=32, block=3, vocab=27, n_embd=10, n_hidden=200, seed=0):
    """The makemore MLP and one batch: (emb, hidden, out, opt, X, Y) with X `batch` contexts of `block`
    character indices and Y the `batch` next-character targets, drawn with a seeded RNG."""
    from micrograd_lite import SGD, Embedding, Layer
    rng = random.Random(seed)
    emb = Embedding(vocab, n_embd, rng=rng)
    hidden = Layer(block * n_embd, n_hidden, "tanh", rng=rng)
    out = Layer(n_hidden, vocab, "linear", rng=rng)
    params = emb.parameters() + hidden.parameters() + out.parameters()
    X = [[rng.randrange(vocab) for _ in range(block)] for _ in range(batch)]
    Y = [rng.randrange(vocab) for _ in range(batch)]
    return emb, hidden, out, SGD(params, lr=0.1), X, Y


def makemore_step(emb, hidden, out, opt, X, Y):
    """Forward, cross_entropy, zero_grad, backward, SGD step. Returns the loss (a float)."""
    from micrograd_lite import cross_entropy
    logits = [out(hidden(x)) for x in emb.lookup(X)]
    loss = cross_entropy(logits, Y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.data
