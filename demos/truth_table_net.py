"""The truth-table network of the seed notes (``seeds/000_…txt``, ``001_…txt``) and its weights as the notes
print them: the model that `demos/truth_table.py` trains and explains and `demos/notes.py` audits.

Tokens {False, True} with 2-d embeddings (the notes' ``xx`` and ``--``), a context of 2 tokens flattened into a
4-value input layer IL, 3 tanh hidden neurons (HW 4 x 3, bias HB), 2 outputs (OW 3 x 2, bias OB) with softmax,
and the cross-entropy loss.
"""

import random

from micrograd_lite import Embedding, Layer, Module, Value, cross_entropy, softmax
from micrograd_lite.explain import local_derivatives

TOKENS = ("False", "True")  # token index -> name; also output class index -> name
SYMBOLS = ("xx", "--")      # the notes' names for the two embeddings
OPS = {
    "and": lambda a, b: a and b,
    "or": lambda a, b: a or b,
    "xor": lambda a, b: a != b,
    "nand": lambda a, b: not (a and b),
}
CONTEXTS = [(0, 0), (0, 1), (1, 0), (1, 1)]
EMBEDDING_DIM, BLOCK, HIDDEN, CLASSES = 2, 2, 3, 2
STEPS, LR, SEED, DECIMALS = 2000, 0.5, 0, 4
MARGIN = 0.9  # training goes on until every context's PRED of the right answer is at least this


def target(op, context):
    """The class index (0 = False, 1 = True) of ``a op b`` for a context (a, b) of token indices."""
    return int(bool(OPS[op](bool(context[0]), bool(context[1]))))


class TruthTableNet(Module):
    """C: `Embedding` (2 tokens x 2 dims); hidden: `Layer` (4 -> 3, tanh); output: `Layer` (3 -> 2, linear).

    In the notes' matrices: ``HW[i][j] = hidden.neurons[j].w[i]`` (4 x 3), ``HB[j] = hidden.neurons[j].b``,
    ``OW[j][k] = output.neurons[k].w[j]`` (3 x 2), ``OB[k] = output.neurons[k].b``. `rng`: None, an int seed
    or a ``random.Random`` (embeddings from N(0, 1), weights from U(-1/sqrt(nin), 1/sqrt(nin)))."""

    def __init__(self, rng=None):
        # One stream for all three parts, so one seed fixes the whole network.
        source = rng if isinstance(rng, random.Random) else random.Random(rng)
        self.C = Embedding(len(TOKENS), EMBEDDING_DIM, rng=source)
        self.hidden = Layer(BLOCK * EMBEDDING_DIM, HIDDEN, "tanh", rng=source)
        self.output = Layer(HIDDEN, CLASSES, "linear", rng=source)
        for t, row in enumerate(self.C.weight):
            for d, v in enumerate(row):
                v.label = f"C[{t}][{d}]"
        for j, n in enumerate(self.hidden.neurons):
            n.b.label = f"HB[{j}]"
            for i, w in enumerate(n.w):
                w.label = f"HW[{i}][{j}]"
        for k, n in enumerate(self.output.neurons):
            n.b.label = f"OB[{k}]"
            for j, w in enumerate(n.w):
                w.label = f"OW[{j}][{k}]"

    def forward(self, context):
        """The graph for one context (2 token indices): a dict of node lists IL (4), RNI, HI, HA (3 each),
        RNO, RAW (2 each).

        Built one notes' column at a time rather than by ``Layer.__call__`` (which fuses w·x + b into one
        node), so RNI = IL·HW and HI = RNI + HB are nodes of their own. IL[i] is a one-term sum of its
        embedding entry (d IL[i]/d C = 1): a node per input position, so the per-position gradient dIL is a
        node's ``grad``, while the embedding entry, used at two positions when a token repeats, collects both."""
        (row,) = self.C.lookup([context])
        nodes = {"IL": [Value.sum([v]) for v in row]}
        nodes["RNI"] = [Value.dot(n.w, nodes["IL"]) for n in self.hidden.neurons]
        nodes["HI"] = [r + n.b for r, n in zip(nodes["RNI"], self.hidden.neurons)]
        nodes["HA"] = [h.tanh() for h in nodes["HI"]]
        nodes["RNO"] = [Value.dot(n.w, nodes["HA"]) for n in self.output.neurons]
        nodes["RAW"] = [r + n.b for r, n in zip(nodes["RNO"], self.output.neurons)]
        for name, vs in nodes.items():
            for i, v in enumerate(vs):
                v.label = f"{name}[{i}]"
        return nodes

    def predict(self, context):
        """The predicted class index (argmax of the raw outputs; a tie goes to 0 = False)."""
        raw = self.forward(context)["RAW"]
        return max(range(CLASSES), key=lambda k: (raw[k].data, -k))

    def _named_parameters(self, prefix):
        yield from self.C._named_parameters(f"{prefix}C.")
        yield from self.hidden._named_parameters(f"{prefix}hidden.")
        yield from self.output._named_parameters(f"{prefix}output.")


def example_tables(net, context, op):
    """One example's forward and backward pass, every cell read from the graph: a dict of floats.

    Runs ``cross_entropy(RAW, target).backward()`` on zeroed parameter grads, then reads: EMBEDDINGS (2 x 2,
    data of C), IL (4), HW (4 x 3), RNI, HB, HI, HA (3), OW (3 x 2), RNO, OB, RAW, PRED (2; PRED from
    softmax nodes) as ``data``; ErrS (RAW.grad), dBO (OB.grad), dWO (2 x 3: ``dWO[k][j] = OW[j][k].grad``,
    the layout of ErrS ⊗ HA), dHIS (HA.grad), dT(HA) (the tanh nodes' local derivatives), dHI (HI.grad),
    dWH (4 x 3, HW.grad), dBH (HB.grad), dIL (4, IL.grad), dC (2 x 2, C.grad) as ``grad``. Also 'context',
    'target' (class index), 'REAL' (one-hot target), 'loss' (float) and 'root' (the loss Value, to draw)."""
    t = target(op, context)
    nodes = net.forward(context)
    pred = softmax(nodes["RAW"])
    for k, v in enumerate(pred):
        v.label = f"PRED[{k}]"
    loss = cross_entropy(nodes["RAW"], t)
    loss.label = "loss"
    net.zero_grad()
    loss.backward()
    hidden, output = net.hidden.neurons, net.output.neurons
    data = lambda vs: [v.data for v in vs]
    grad = lambda vs: [v.grad for v in vs]
    return {
        "context": tuple(context), "target": t, "REAL": [float(k == t) for k in range(CLASSES)],
        "loss": loss.data, "root": loss,
        "EMBEDDINGS": [data(row) for row in net.C.weight],
        "IL": data(nodes["IL"]),
        "HW": [[n.w[i].data for n in hidden] for i in range(BLOCK * EMBEDDING_DIM)],
        "RNI": data(nodes["RNI"]), "HB": [n.b.data for n in hidden], "HI": data(nodes["HI"]),
        "HA": data(nodes["HA"]),
        "OW": [[n.w[j].data for n in output] for j in range(HIDDEN)],
        "RNO": data(nodes["RNO"]), "OB": [n.b.data for n in output], "RAW": data(nodes["RAW"]),
        "PRED": data(pred),
        "ErrS": grad(nodes["RAW"]), "dBO": [n.b.grad for n in output],
        "dWO": [[n.w[j].grad for j in range(HIDDEN)] for n in output],
        "dHIS": grad(nodes["HA"]),
        "dT(HA)": [local_derivatives(ha)[0][1] for ha in nodes["HA"]],
        "dHI": grad(nodes["HI"]),
        "dWH": [[n.w[i].grad for n in hidden] for i in range(BLOCK * EMBEDDING_DIM)],
        "dBH": [n.b.grad for n in hidden],
        "dIL": grad(nodes["IL"]),
        "dC": [grad(row) for row in net.C.weight],
    }


# ---- the notes' own network -----------------------------------------------------------------------------------
# The weights printed in the notes' forward table (seeds/001_…txt lines 5-8, the same in 000_…txt lines 6-9),
# as printed: two decimals, so each stands for an interval of +-0.005 around it ("-0.00": [-0.005, 0]).
NOTES_WEIGHTS = {
    "EMBEDDINGS": [["0.01", "0.03"], ["0.00", "0.04"]],
    "HW": [["-0.02", "0.03", "0.02"], ["-0.05", "0.00", "0.02"], ["0.04", "-0.02", "-0.04"], ["-0.02", "0.02", "-0.01"]],
    "HB": ["-0.02", "-0.04", "0.03"],
    "OW": [["-0.04", "-0.02"], ["-0.05", "0.02"], ["-0.01", "-0.04"]],
    "OB": ["0.03", "-0.00"],
}
NOTES_CONTEXT = (0, 0)  # the notes' example: false & false, target False


def notes_parameters(net):
    """``[(label, Value, printed str), ...]``: `net`'s parameters in the notes' order (EMBEDDINGS, HW, HB,
    OW, OB), each with the string the notes print for it."""
    hidden, output = net.hidden.neurons, net.output.neurons
    out = [(f"C[{t}][{d}]", net.C.weight[t][d], text) for t, row in enumerate(NOTES_WEIGHTS["EMBEDDINGS"])
           for d, text in enumerate(row)]
    out += [(f"HW[{i}][{j}]", hidden[j].w[i], text) for i, row in enumerate(NOTES_WEIGHTS["HW"])
            for j, text in enumerate(row)]
    out += [(f"HB[{j}]", hidden[j].b, text) for j, text in enumerate(NOTES_WEIGHTS["HB"])]
    out += [(f"OW[{j}][{k}]", output[k].w[j], text) for j, row in enumerate(NOTES_WEIGHTS["OW"])
            for k, text in enumerate(row)]
    out += [(f"OB[{k}]", output[k].b, text) for k, text in enumerate(NOTES_WEIGHTS["OB"])]
    return out


def notes_net():
    """A `TruthTableNet` holding the weights printed in the notes (`NOTES_WEIGHTS`, 2 decimals), so its
    tables for context 0,0 are the notes' example recomputed in float64 from what the notes show."""
    net = TruthTableNet(rng=0)
    for _, v, text in notes_parameters(net):
        v.data = float(text)
    return net
