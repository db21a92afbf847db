"""A character-level language model on real names: the makemore MLP of the notes, from scalar `Value`s.

Model after Y. Bengio, R. Ducharme, P. Vincent, C. Jauvin, "A Neural Probabilistic Language Model"
(JMLR 3, 2003), in the form of A. Karpathy's makemore lecture ("Building makemore Part 2: MLP", 2022),
which the third seed note opens on: a batch X of 32 contexts of `block_size` = 3 character indices is
looked up in an embedding table C, giving C[X] (32 x 3 x emb), flattened to 32 rows of 3*emb; a tanh hidden
layer (W1, b1); a linear layer (W2, b2) to 27 logits; cross-entropy against the next character Y.

Vocabulary: '.' (index 0, the start padding and the end of a name) and the 26 letters a-z (1..26).
Data: by default the first names of the 1990 US Census shipped in the `names` package (public domain),
lower-cased and de-duplicated; ``--data PATH`` reads any file of one name per line, e.g. makemore's
names.txt. Split 80/10/10 by names after one ``shuffle`` by ``random.Random(42)``, as makemore does.

Prints the data, two baselines on the same split (uniform: ln 27; the counting bigram model with add-one
smoothing), the MLP's train and dev loss after training, and 20 sampled names; ``--plot loss.png`` draws the
loss curve (matplotlib, the `demos` extra). The test split is held out
and never evaluated. Training runs the batched compiled step (`micrograd_lite.compile` with ``batch=True``) when
numpy is installed (the `demos` and `fast` extras bring it), else, or with ``--engine``, the engine's own graph per
step, which first prints how long it expects to take. Run: ``python demos/makemore.py`` (``--help`` for options).
"""

import argparse
import json
import math
import operator
import os
import random
import sys
import time
import warnings
from collections import Counter
from string import ascii_lowercase

from tqdm import tqdm

import micrograd_lite
from micrograd_lite import SGD, Embedding, Layer, Module, Value, cross_entropy
from micrograd_lite.checkpoint import CheckpointWarning

if not __package__:  # run as a script (python demos/makemore.py): make `demos` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from demos.cli import png_path, terminal_width, wrap  # noqa: E402

VOCAB = "." + ascii_lowercase  # itos: index -> character; '.' is index 0
stoi = {ch: i for i, ch in enumerate(VOCAB)}
itos = dict(enumerate(VOCAB))
BLOCK_SIZE = 3    # characters of context
BATCH_SIZE = 32
SPLIT_SEED = 42   # makemore's: random.seed(42); random.shuffle(words)
MAX_SAMPLE_LENGTH = 100  # a sampled name stops here even without '.', so sampling always ends
BAD_LINES_SHOWN = 10     # a data error lists this many offending lines, then a count of the rest


class DataError(ValueError):
    """A names file that cannot be used: missing, unreadable, empty, or with characters outside a-z."""


class Diverged(ArithmeticError):
    """Training stopped at `step` (1-based): its batch loss `loss` is not finite, or (`update` True) its update
    made a parameter infinite or NaN: the learning rate is far too large. The model holds the parameters
    the step started from (its update is not applied) unless `update` is True."""

    def __init__(self, step, loss, update=False):
        self.step, self.loss, self.update = step, loss, update
        what = (f"its update (batch loss {loss:.4g}) made parameters infinite or NaN" if update
                else f"the batch loss is {loss}")
        super().__init__(f"training diverged at step {step:,}: {what}")


def all_finite(model):
    """Whether every parameter of `model` is a finite float."""
    return all(math.isfinite(p.data) for p in model.parameters())


# ---- data -----------------------------------------------------------------------------------------------
def census_names():
    """The first names bundled with the `names` package (1990 US Census: dist.female.first, then
    dist.male.first, in file order), lower-cased, each kept once at its first occurrence: 5,163 names
    with names 0.3.0. Returns a list of str."""
    import names  # the demos extra; imported here so `--data` works without it

    folder = os.path.dirname(names.__file__)
    words = []
    for filename in ("dist.female.first", "dist.male.first"):
        with open(os.path.join(folder, filename), encoding="ascii") as f:
            words += [line.split()[0].lower() for line in f if line.strip()]
    return list(dict.fromkeys(words))


def read_names(path):
    """Read one name per line from `path` (UTF-8; lines end at "\n", or "\r\n"). Leading/trailing whitespace
    is stripped and blank lines are skipped; nothing else is changed (no lower-casing, no de-duplication). A
    form feed, a lone "\r" or a Unicode line separator is part of its line (and refused as a character outside
    a-z), so the line numbers in messages are the file's, as an editor shows them.

    Returns ``(words, blank)``: the names in file order and the number of blank lines skipped.
    Raises DataError naming the file when it is missing, unreadable, not UTF-8, has no names, or when
    any name has a character outside a-z; the message lists every offending line number and character
    (the first few lines, then how many more)."""
    try:
        # newline="": no translation, so the lines are split at "\n" only, as editors, grep -n and wc -l count
        # them (str.splitlines and universal newlines also split at "\r", "\f", "\u2028", ..., which would
        # shift the line numbers of the error messages); a "\r" before the "\n" (Windows) is dropped.
        with open(path, encoding="utf-8", newline="") as f:
            lines = [line[:-1] if line.endswith("\r") else line for line in _file_lines(f.read())]
    except FileNotFoundError:
        raise DataError(f"--data {path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"--data {path}: is a directory, expected a file of one name per line") from None
    except UnicodeDecodeError as e:
        raise DataError(f"--data {path}: not UTF-8 text ({e})") from None
    except OSError as e:
        raise DataError(f"--data {path}: cannot read it ({e.strerror})") from None
    words, numbers = [], []
    for number, line in enumerate(lines, start=1):
        name = line.strip()
        if name:
            words.append(name)
            numbers.append(number)
    if not words:
        raise DataError(f"--data {path}: no names in it (the file is empty or blank); "
                        "expected one name per line")
    check_names(words, numbers, source=f"--data {path}")
    return words, len(lines) - len(words)


def _file_lines(text):
    """`text` cut into the lines of a file: at each "\n" only; a last line without "\n" counts, an empty
    text after the last "\n" does not."""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def check_names(words, line_numbers, source):
    """Raise DataError when any name in `words` has a character that is not a lower-case letter a-z.

    '.' is rejected too: it is the start/end token. `line_numbers[i]` is the line of `words[i]` and
    `source` names the file in the message, which gives every bad line as ``line N: 'name' has 'X'``
    (the first BAD_LINES_SHOWN of them, then how many more)."""
    bad = []
    for number, word in zip(line_numbers, words):
        wrong = sorted({ch for ch in word if ch not in stoi or ch == "."})
        if wrong:
            bad.append(f"line {number}: {word!r} has " + ", ".join(repr(ch) for ch in wrong))
    if bad:
        shown = "\n  ".join(bad[:BAD_LINES_SHOWN])
        more = f"\n  ... and {len(bad) - BAD_LINES_SHOWN} more lines" if len(bad) > BAD_LINES_SHOWN else ""
        verb = "has" if len(bad) == 1 else "have"
        raise DataError(f"{source}: {len(bad)} of {len(words)} names {verb} characters outside the "
                        f"vocabulary (lower-case a-z only; '.' marks start and end):\n  {shown}{more}")


def split_words(words, seed=SPLIT_SEED):
    """makemore's split: shuffle a copy of `words` with ``random.Random(seed)`` (the same permutation as
    ``random.seed(seed); random.shuffle(words)``), then 80% train, 10% dev, 10% test by name, cut at
    int(0.8 n) and int(0.9 n). On names.txt (32,033 names): 25,626 / 3,203 / 3,204.
    Returns ``(train, dev, test)``, three lists of str. Raises DataError when train or dev is empty
    (fewer than 10 names)."""
    words = list(words)
    random.Random(seed).shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    train, dev, test = words[:n1], words[n1:n2], words[n2:]
    if not train or not dev:
        raise DataError(f"split: {len(words)} names give {len(train)} for training and {len(dev)} for dev; "
                        "an 80/10/10 split needs at least 10 names")
    return train, dev, test


def build_dataset(words, block_size=BLOCK_SIZE):
    """Every (context, next character) pair of every name, as in the lecture: the context starts as
    `block_size` dots and slides one character at a time; the last target of each name is '.' (0).

    Returns ``(X, Y)``: X a list of N contexts (each a list of `block_size` ints in [0, 27)), Y a list of
    N ints, N = sum of (len(name) + 1). E.g. 'emma' gives ... -> e, ..e -> m, .em -> m, emm -> a, mma -> ."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return X, Y


# ---- baselines ------------------------------------------------------------------------------------------
def bigram_counts(words):
    """N[i][j]: how often character j follows character i in `words`, '.' before and after each name
    (27 x 27 ints)."""
    N = [[0] * len(VOCAB) for _ in VOCAB]
    for w in words:
        chs = "." + w + "."
        for a, b in zip(chs, chs[1:]):
            N[stoi[a]][stoi[b]] += 1
    return N


def bigram_loss(train_words, eval_words, smoothing=1):
    """Mean negative log-likelihood of `eval_words` under the counting bigram model of `train_words`
    with add-`smoothing` (Laplace) smoothing: P(j | i) = (N[i][j] + 1) / sum_k (N[i][k] + 1), the
    lecture's "Building makemore" part 1 model. Averaged over the same pairs the MLP predicts (one per
    character plus the end '.'), so the numbers compare. Raises ValueError unless `smoothing` > 0 (without
    it an unseen pair has probability 0 and the loss is infinite)."""
    if not smoothing > 0:
        raise ValueError(f"bigram_loss: smoothing must be > 0, got {smoothing!r}")
    N = bigram_counts(train_words)
    logP = []
    for row in N:
        total = sum(row) + smoothing * len(row)
        logP.append([math.log((n + smoothing) / total) for n in row])
    nll, n = 0.0, 0
    for w in eval_words:
        chs = "." + w + "."
        for a, b in zip(chs, chs[1:]):
            nll -= logP[stoi[a]][stoi[b]]
            n += 1
    return nll / n


# ---- the model ------------------------------------------------------------------------------------------
class NameMLP(Module):
    """The makemore MLP: ``C = Embedding(27, emb)`` -> ``hidden = Layer(block_size * emb, hidden, 'tanh')``
    (the lecture's W1, b1) -> ``output = Layer(hidden, 27, 'linear')`` (W2, b2).

    Calling it on X (B contexts of `block_size` ints) returns B lists of 27 logit Values. The output
    layer starts at `output_scale` (default 0.1) times its default size, so the initial loss is close to ln 27
    (a uniform guess) rather than much larger, as in makemore part 3. `rng`: None, an int seed or a
    ``random.Random``. Parameters are named ``C.weight.i.j``, ``hidden.neurons.j.w.i`` and
    ``output.neurons.j.w.i`` (plus ``.b``)."""

    def __init__(self, emb=3, hidden=100, block_size=BLOCK_SIZE, rng=None, output_scale=0.1):
        rng = random.Random(rng) if rng is None or isinstance(rng, int) else rng
        self.block_size, self.emb, self.n_hidden = block_size, emb, hidden
        self.C = Embedding(len(VOCAB), emb, rng=rng)
        self.hidden = Layer(block_size * emb, hidden, "tanh", rng=rng)
        self.output = Layer(hidden, len(VOCAB), "linear", rng=rng)
        for p in self.output.parameters():
            p.data *= output_scale

    def __call__(self, X):
        emb = self.C.lookup(X)  # C[X], each example's block_size rows concatenated: B x (block_size * emb)
        return [self.output(self.hidden(x)) for x in emb]

    def one_hot_loss(self, context, target):
        """The cross-entropy of one example whose indices come one-hot, the form ``compile(..., batch=True)``
        needs (a graph that does not depend on which characters are chosen): `context` is `block_size` lists of
        27 numbers (``Embedding.one_hot_lookup``), `target` 27 numbers; the loss is ``logsumexp(z) - z . target``
        with z the logits shifted by the largest, equal to ``cross_entropy(logits, index)`` for a one-hot target.
        Returns one Value."""
        logits = self.output(self.hidden(self.C.one_hot_lookup(context)))
        m = max(z.data for z in logits)  # frozen in a compiled step; the loss does not depend on it
        shifted = [z - m for z in logits]
        return Value.logsumexp(shifted) - Value.dot(shifted, target)

    def _named_parameters(self, prefix):
        yield from self.C._named_parameters(f"{prefix}C.")
        yield from self.hidden._named_parameters(f"{prefix}hidden.")
        yield from self.output._named_parameters(f"{prefix}output.")

    def __repr__(self):
        return f"NameMLP(emb={self.emb}, hidden={self.n_hidden}, block_size={self.block_size})"


class FloatForward:
    """The same forward pass on plain floats (a snapshot of the parameters' ``.data``), for evaluation and
    sampling: no graph, no Value objects.

    The first layer is linear in the embedding rows, so its pre-activation splits by context position k:
    ``C[X] W1 = sum_k C[X_k] W1_k``. ``T[k][c]`` (block_size x 27 lists of H floats) holds ``C[c] W1_k``,
    making the hidden layer `block_size` vector additions and a tanh per example."""

    def __init__(self, model):
        C = [[v.data for v in row] for row in model.C.weight]
        W1 = [[w.data for w in n.w] for n in model.hidden.neurons]
        self.b1 = [n.b.data for n in model.hidden.neurons]
        self.W2 = [[w.data for w in n.w] for n in model.output.neurons]
        self.b2 = [n.b.data for n in model.output.neurons]
        d = model.emb
        self.T = [[[sum(C[c][j] * row[k * d + j] for j in range(d)) for row in W1] for c in range(len(C))]
                  for k in range(model.block_size)]

    def logits(self, context):
        """`context`: `block_size` ints -> the 27 logits (floats)."""
        pre = self.b1
        for k, c in enumerate(context):
            pre = list(map(operator.add, pre, self.T[k][c]))
        h = [math.tanh(a) for a in pre]
        return [b + sum(map(operator.mul, row, h)) for row, b in zip(self.W2, self.b2)]


class ArrayForward:
    """The forward pass on numpy arrays, for evaluation and sampling: the parameters as the matrices C (27 x d),
    W1 (H x block_size*d), b1 (H), W2 (27 x H), b2 (27), read once, from the parameters' ``.data``
    (`of_model`) or from a compiled step's parameter vector (`of_vector`, nothing read from the Values).

    As in `FloatForward`, the first layer is split by context position k: ``T[k] = C W1_k^T`` (27 x H), so a
    batch of contexts (n x block_size ints) costs `block_size` row gathers, a tanh and one matrix product."""

    def __init__(self, np, C, W1, b1, W2, b2, block_size):
        d = C.shape[1]
        self.np, self.b1, self.W2, self.b2 = np, b1, W2, b2
        with np.errstate(all="ignore"):  # diverged parameters give inf/nan losses, which the callers check
            self.T = [C @ W1[:, k * d:(k + 1) * d].T for k in range(block_size)]

    @classmethod
    def of_model(cls, model, np):
        """From the parameters' ``.data``."""
        a = np.array
        return cls(np, a([[v.data for v in row] for row in model.C.weight], dtype=float),
                   a([[w.data for w in n.w] for n in model.hidden.neurons], dtype=float),
                   a([n.b.data for n in model.hidden.neurons], dtype=float),
                   a([[w.data for w in n.w] for n in model.output.neurons], dtype=float),
                   a([n.b.data for n in model.output.neurons], dtype=float), model.block_size)

    @staticmethod
    def positions(model, params, np):
        """Where each of `model`'s matrices sits in a vector of `params` (a compiled step's ``params``, every
        parameter of the model once, in any order): five integer arrays of the matrices' shapes, for
        `of_vector`. Raises ValueError when a parameter of the model is not in `params`."""
        where = {id(v): i for i, v in enumerate(params)}
        try:
            def at(rows):
                return np.array([[where[id(v)] for v in row] for row in rows], dtype=np.intp)
            return (at(model.C.weight), at([n.w for n in model.hidden.neurons]),
                    at([[n.b] for n in model.hidden.neurons])[:, 0], at([n.w for n in model.output.neurons]),
                    at([[n.b] for n in model.output.neurons])[:, 0])
        except KeyError:
            raise ValueError("ArrayForward.positions: a parameter of the model is not in the vector") from None

    @classmethod
    def of_vector(cls, model, p, positions, np):
        """From `p`, a vector of parameter values laid out as `positions` (from `positions`) says."""
        return cls(np, *(p[i] for i in positions), model.block_size)

    def logits(self, contexts):
        """`contexts`: an (n, block_size) int array -> the (n, 27) logits."""
        with self.np.errstate(all="ignore"):  # as in __init__
            pre = self.b1 + self.T[0][contexts[:, 0]]
            for k in range(1, len(self.T)):
                pre += self.T[k][contexts[:, k]]
            return self.np.tanh(pre) @ self.W2.T + self.b2


def _numpy():
    """numpy, or None when it is not installed (evaluation then runs on plain floats)."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _logsumexp(xs):
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


def evaluate(model, X, Y, forward=None):
    """The mean cross-entropy loss of `model` over all of (X, Y) (a float); X: N contexts (lists or an
    (N, block_size) int array), Y: N ints.

    Every distinct context is run once, as the loss depends only on the context and the target:
    names.txt's 182,625 training examples have 5,438 distinct contexts (block size 3), its 22,655 dev
    examples 2,965. With numpy, on arrays (`ArrayForward`; `forward`: one already built, e.g. from a compiled
    step's parameter vector), all distinct contexts in one batch; without it, on plain floats (`FloatForward`)."""
    np = _numpy() if forward is None else forward.np
    if np is None:
        return _evaluate_floats(model, X, Y)
    forward = forward or ArrayForward.of_model(model, np)
    Xa, Ya = np.asarray(X, dtype=np.intp).reshape(len(Y), -1), np.asarray(Y, dtype=np.intp)
    code = np.zeros(len(Ya), dtype=np.intp)
    for k in range(Xa.shape[1]):  # one integer per context, base 27
        code = code * len(VOCAB) + Xa[:, k]
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    logits = forward.logits(Xa[first])
    inverse = inverse.reshape(-1)
    with np.errstate(all="ignore"):  # as in ArrayForward
        m = logits.max(1, keepdims=True)
        lse = (m + np.log(np.exp(logits - m).sum(1, keepdims=True)))[:, 0]
        return float((lse[inverse] - logits[inverse, Ya]).sum() / len(Ya))


def _evaluate_floats(model, X, Y):
    f = FloatForward(model)
    targets = {}
    for x, y in zip(X, Y):
        targets.setdefault(tuple(x), Counter())[y] += 1
    nll = 0.0
    for x, counts in targets.items():
        logits = f.logits(x)
        lse = _logsumexp(logits)
        nll += sum(n * (lse - logits[y]) for y, n in counts.items())
    return nll / len(X)


def sample(model, n, rng, forward=None):
    """`n` names drawn from the model (a list of str): start from '...', draw the next character from
    softmax(logits), slide the context, stop at '.' (or after MAX_SAMPLE_LENGTH characters).
    `rng`: a ``random.Random``. The logits come from `forward` (an `ArrayForward`), else from numpy
    arrays when numpy is installed, else from plain floats (the same numbers to rounding)."""
    np = _numpy() if forward is None else forward.np
    if np is None:
        logits_of = FloatForward(model).logits
    else:
        forward = forward or ArrayForward.of_model(model, np)
        logits_of = lambda context: forward.logits(np.array([context], dtype=np.intp))[0].tolist()  # noqa: E731
    out = []
    for _ in range(n):
        context, chars = [0] * model.block_size, []
        while len(chars) < MAX_SAMPLE_LENGTH:
            logits = logits_of(context)
            m = max(logits)
            ix = rng.choices(range(len(VOCAB)), weights=[math.exp(z - m) for z in logits])[0]
            if ix == 0:
                break
            chars.append(itos[ix])
            context = context[1:] + [ix]
        out.append("".join(chars))
    return out


# ---- training -------------------------------------------------------------------------------------------
def learning_rate(step, steps, lr, decay_at=0.75, factor=0.1):
    """Step decay: `lr` for the first `decay_at` of the `steps`, then ``lr * factor`` (the lecture trains
    at 0.1, then 0.01)."""
    return lr if step < decay_at * steps else lr * factor


def train_compiled(model, X, Y, steps, lr, rng, batch_size=BATCH_SIZE, progress=True, on_eval=None,
                   eval_every=0, decay_at=0.75):
    """`train` with the batched compiled step (`micrograd_lite.compile` with ``batch=True``, numpy) of the
    model's `NameMLP.one_hot_loss`: the same batches (drawn from `rng` in the same order) and the same SGD updates,
    ``p -= lr * grad``, to rounding. The parameters live in the step's `ParameterVector` while training (`SGD`
    updates it in place) and are written back to their ``.data`` at the end (also when training stops early);
    `on_eval(step, forward)` gets an `ArrayForward` read from that vector. Returns the minibatch losses.
    Raises CompileError naming the `fast` extra without numpy (nothing is changed then), Diverged as `train`."""
    from micrograd_lite.compiler.batched import numpy_or_error
    np = numpy_or_error()
    eye = np.eye(len(VOCAB))
    step = micrograd_lite.compile(model.one_hot_loss, eye[[0] * model.block_size].tolist(), eye[0].tolist(),
                                  batch=True)
    params = model.parameters()
    if len(step.params) != len(params):  # every parameter reaches the loss, so the two lists hold the same
        raise micrograd_lite.CompileError(f"makemore: the compiled step has {len(step.params)} parameters, "
                                          f"the model {len(params)}")
    Xa, Ya = np.asarray(X), np.asarray(Y)
    vector = step.parameter_vector()  # the parameters while training: one numpy vector, SGD on it in place
    opt = SGD([vector], lr=lr)
    positions = ArrayForward.positions(model, step.params, np)
    losses = []
    # within COLUMNS, one column spare: a full last column can wrap
    bar = tqdm(range(steps), unit="step", disable=not progress, ncols=terminal_width() - 1)
    # Overflow is checked below (Diverged), so numpy's own warnings about it would only repeat it, in its words.
    errstate = np.errstate(over="ignore", invalid="ignore")
    try:
        errstate.__enter__()
        for i in bar:
            ix = [rng.randrange(len(X)) for _ in range(batch_size)]
            opt.zero_grad()
            loss = float(step(eye[Xa[ix]], eye[Ya[ix]], vector=vector))
            if not math.isfinite(loss):
                raise Diverged(i + 1, loss)
            opt.lr = learning_rate(i, steps, lr, decay_at)
            opt.step()
            if not np.isfinite(vector.data).all():
                raise Diverged(i + 1, loss, update=True)
            losses.append(loss)
            bar.set_postfix_str(f"last batch loss {loss:.4f}, lr {opt.lr:g}", refresh=False)
            if on_eval is not None and ((eval_every and (i + 1) % eval_every == 0) or i + 1 == steps):
                bar.write(on_eval(i + 1, ArrayForward.of_vector(model, vector.data, positions, np)), file=sys.stdout)
    finally:
        errstate.__exit__(None, None, None)
        bar.close()
        vector.write_back()  # also on Diverged: the model holds where training stopped
    return losses


ESTIMATE_STEPS = 3  # engine steps timed before an --engine run to estimate its duration


def engine_estimate(model, X, Y, steps, batch_size=BATCH_SIZE, timed=ESTIMATE_STEPS):
    """A line saying how long `steps` engine steps (`train`) will take: `timed` forward and backward passes on
    batches drawn from ``random.Random(0)`` (not the training batches: the training's `rng` is not touched),
    timed now, their median per step times `steps`. The model's ``.data`` is unchanged and its ``.grad`` left
    at zero (no update is applied)."""
    rng, times = random.Random(0), []
    params = model.parameters()
    for _ in range(timed):
        ix = [rng.randrange(len(X)) for _ in range(batch_size)]
        begin = time.perf_counter()
        cross_entropy(model([X[i] for i in ix]), [Y[i] for i in ix]).backward()
        times.append(time.perf_counter() - begin)
        for p in params:
            p.grad = 0.0
    per_step = sorted(times)[len(times) // 2]
    total = per_step * steps
    when = f"{total / 60:.1f} min" if total >= 60 else f"{total:.0f} s"
    return (f"expect about {when} for {steps:,} steps ({per_step * 1e3:.0f} ms a step, the median of {timed} "
            f"steps timed just now, evaluations not included)")


def train(model, X, Y, steps, lr, rng, batch_size=BATCH_SIZE, progress=True, on_eval=None, eval_every=0,
          decay_at=0.75):
    """Minibatch SGD: each step draws `batch_size` examples with replacement (as torch.randint does),
    builds the graph of their mean cross-entropy, backpropagates and updates every parameter with the
    step-decay `learning_rate`. `rng`: a ``random.Random``. `progress`: show a tqdm bar (on stderr) with the
    last minibatch's loss (labelled so: it is one batch of 32, noisier than the loss over all examples).
    `on_eval(step, None)`, if given, is called every `eval_every` steps and after the last one; what it
    returns (a str) is printed above the bar. `decay_at`: see `learning_rate`. Returns the list of the `steps`
    minibatch losses (floats). Raises Diverged when a batch loss or, after an update, a parameter is not
    finite (the step's update is then not applied, or applied)."""
    opt = SGD(model.parameters(), lr=lr)
    losses = []
    # within COLUMNS, one column spare: a full last column can wrap
    bar = tqdm(range(steps), unit="step", disable=not progress, ncols=terminal_width() - 1)
    try:
        for step in bar:
            ix = [rng.randrange(len(X)) for _ in range(batch_size)]
            opt.zero_grad()
            graph = cross_entropy(model([X[i] for i in ix]), [Y[i] for i in ix])
            loss = graph.data
            if not math.isfinite(loss):
                raise Diverged(step + 1, loss)
            graph.backward()
            opt.lr = learning_rate(step, steps, lr, decay_at)
            opt.step()
            if not all_finite(model):
                raise Diverged(step + 1, loss, update=True)
            losses.append(loss)
            bar.set_postfix_str(f"last batch loss {loss:.4f}, lr {opt.lr:g}", refresh=False)
            if on_eval is not None and ((eval_every and (step + 1) % eval_every == 0) or step + 1 == steps):
                bar.write(on_eval(step + 1, None), file=sys.stdout)
    finally:
        bar.close()
    return losses


# ---- the program ----------------------------------------------------------------------------------------
def _int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _positive_int(text):
    n = _int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def _count(text):
    n = _int(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def _positive_float(text):
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not x > 0.0 or not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return x


def _fraction(text):
    x = _positive_float(text) if text.strip() not in ("0", "0.0") else 0.0
    if x > 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return x


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", metavar="PATH", help="one name per line, a-z only (default: the census "
                    "first names of the `names` package)")
    ap.add_argument("--block-size", type=_positive_int, default=BLOCK_SIZE,
                    help="characters of context (default %(default)s)")
    ap.add_argument("--emb", type=_positive_int, default=3,
                    help="embedding size d, the columns of C (default %(default)s)")
    ap.add_argument("--hidden", type=_positive_int, default=100,
                    help="tanh units in the hidden layer (default %(default)s)")
    ap.add_argument("--steps", type=_count, default=5000,
                    help="SGD steps of batch 32; 0: evaluate only (default %(default)s)")
    ap.add_argument("--lr", type=_positive_float, default=0.5,
                    help="learning rate, divided by 10 after --decay-at of the steps (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1,
                    help="seed of initialisation, batches and sampling (default %(default)s)")
    ap.add_argument("--eval-every", type=_count, default=1000,
                    help="print the full dev loss every N steps; 0: only at the end (default %(default)s)")
    ap.add_argument("--save", metavar="PATH", help="write the trained parameters here (JSON checkpoint)")
    ap.add_argument("--load", metavar="PATH", help="start from this checkpoint (same --emb, --hidden, "
                    "--block-size as when it was saved)")
    path = ap.add_mutually_exclusive_group()
    path.add_argument("--compile", action="store_true", help="train with the batched compiled step (numpy), "
                      "and fail if numpy is missing (the default uses it when numpy is installed)")
    path.add_argument("--engine", action="store_true", help="train on the engine's own Values, a graph per "
                      "step: the same batches and updates, far slower (prints its expected duration first)")
    ap.add_argument("--decay-at", type=_fraction, default=0.75, metavar="FRACTION",
                    help="fraction of the steps after which lr drops tenfold (default %(default)s; the "
                         "lecture: 0.5)")
    ap.add_argument("--plot", type=png_path, metavar="PATH",
                    help="draw the loss curve (each batch's loss, its mean over 100 steps, the dev loss) to this PNG")
    ap.add_argument("--json", action="store_true", help="end with one JSON line of results")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    return ap.parse_args(argv)


def write_plot(batch_losses, dev_curve, path, window=100, uniform=None, bigram=None):
    """Draw the loss curve to `path` (PNG, matplotlib's Agg backend): `batch_losses` (a list, one minibatch loss
    per step, from step 1), their running mean over the last `window` steps, and `dev_curve` ((step, dev loss)
    pairs) as points; `uniform` and `bigram` (floats, nats), when given, as dashed horizontal lines: the two
    baselines (ln 27, and the counting bigram model on dev). The legend sits below the axes, clear of the data. Returns a line saying where, or why nothing was drawn (no matplotlib, the `demos` extra;
    an unwritable path): the picture is optional, so nothing is raised."""
    try:
        import matplotlib
    except ImportError:
        return "Plot not drawn: matplotlib is not installed: pip install micrograd_lite[demos]"
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    steps = range(1, len(batch_losses) + 1)
    running, total = [], 0.0
    for i, x in enumerate(batch_losses):
        total += x - (batch_losses[i - window] if i >= window else 0.0)
        running.append(total / min(i + 1, window))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    try:
        ax.plot(steps, batch_losses, color="#9ecae1", linewidth=0.6, label="train: each batch's loss")
        ax.plot(steps, running, color="#08519c", label=f"train: mean of the last {window} batches")
        if dev_curve:
            ax.plot(*zip(*dev_curve), "o-", color="#d62728", label="dev: whole split")
        if uniform is not None:
            ax.axhline(uniform, color="#555555", linestyle="--", linewidth=1,
                       label=f"uniform baseline: ln 27 = {uniform:.3f}")
        if bigram is not None:
            ax.axhline(bigram, color="#756bb1", linestyle="--", linewidth=1,
                       label=f"bigram baseline (dev) = {bigram:.3f}")
        ax.set_xlabel("step")
        ax.set_ylabel("cross-entropy (nats)")
        ax.set_title("makemore MLP: loss")
        # below the axes: inside them, any corner can hide a part of the curve
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize="small", frameon=False)
        fig.subplots_adjust(bottom=0.3)
        fig.savefig(path, format="png", dpi=100)
    except OSError as exc:
        return f"Plot not drawn: {path}: {exc.strerror}"
    finally:
        plt.close(fig)
    return f"Plot: wrote {path} (train and dev loss by step)"


def format_samples(names):
    """Sampled names for printing, separated by spaces; a name the model ended at once (the empty name) is
    shown as ``(empty)`` rather than as a double space."""
    return " ".join(name or "(empty)" for name in names)


def load_words(path):
    """``(words, description)`` for `path` (a names file) or, when None, the census names."""
    if path is None:
        words = census_names()
        return words, f"the `names` package's census first names ({len(words):,} after de-duplication)"
    words, blank = read_names(path)
    skipped = f", {blank} blank lines skipped" if blank else ""
    return words, f"{path} ({len(words):,} names{skipped})"


def _save_after(model, path):
    """After training stopped: save `model` to `path` (--save; None: nothing to do) when its parameters are
    finite. Returns the end of the message that says what happened."""
    if path is None:
        return ""
    if not all_finite(model):
        return f"; the parameters are not finite, so nothing was saved to {path}"
    micrograd_lite.save(model, path)
    return f"; saved the parameters it stopped at (all finite) to {path}"


def main(argv=None):
    args = parse_args(argv)
    width = terminal_width()
    if args.save:  # fail now, not after training
        folder = os.path.dirname(os.path.abspath(args.save))
        if not os.path.isdir(folder):
            sys.exit(f"makemore: --save {args.save}: folder {folder} does not exist (nothing was written)")
        if os.path.isdir(args.save):
            sys.exit(f"makemore: --save {args.save}: is a folder; give a file name such as model.json")
    if args.load and not os.path.isfile(args.load):
        sys.exit(f"makemore: --load {args.load}: no such file")
    try:
        words, description = load_words(args.data)
        train_words, dev_words, test_words = split_words(words)
    except DataError as e:
        sys.exit(f"makemore: {e}" + ("\n" if "\n" in str(e) else " ") + "(nothing was written)")
    try:  # before the examples, whose contexts are --block-size long: absurd sizes stop here, at once
        model = NameMLP(args.emb, args.hidden, args.block_size, rng=args.seed)
    except ValueError as e:  # more than MAX_PARAMETERS
        sys.exit(f"makemore: --emb {args.emb} --hidden {args.hidden} --block-size {args.block_size} make a model "
                 f"too large: {e} (nothing was written)")
    Xtr, Ytr = build_dataset(train_words, args.block_size)
    Xdev, Ydev = build_dataset(dev_words, args.block_size)
    print(wrap(f"data: {description}", width, "  "))
    print(wrap(f"split: {len(train_words):,} / {len(dev_words):,} / {len(test_words):,} names "
               f"(train / dev / test, test held out), {len(Xtr):,} / {len(Xdev):,} training / dev examples",
               width, "  "))

    bigram_dev = bigram_loss(train_words, dev_words)
    print(wrap(f"baselines on dev: uniform ln 27 = {math.log(len(VOCAB)):.4f}; bigram with add-one smoothing = "
               f"{bigram_dev:.4f} (train {bigram_loss(train_words, train_words):.4f})", width, "  "))

    n_params = len(model.parameters())
    if args.load:
        try:
            with warnings.catch_warnings(record=True) as unverified:  # a version 1 file: said below, in one line
                warnings.simplefilter("always", CheckpointWarning)
                micrograd_lite.load(model, args.load)
        except (OSError, micrograd_lite.CheckpointError) as e:
            sys.exit(f"makemore: --load {args.load}: {e}")
        except micrograd_lite.StateDictError as e:
            detail = str(e) if len(str(e)) < 300 else str(e)[:300] + " ..."
            sys.exit(f"makemore: --load {args.load} does not fit {model!r} ({n_params:,} parameters); "
                     f"pass the --emb/--hidden/--block-size it was saved with. {detail}")
        for w in unverified:
            print(wrap(f"note: {w.message}", width, "  "))
    if not all_finite(model):
        sys.exit(f"makemore: --load {args.load}: the checkpoint holds parameters that are infinite or NaN; "
                 f"nothing can be trained or sampled from it")
    print(wrap(f"model: {model!r}, {n_params:,} parameters; {args.steps:,} steps of batch {BATCH_SIZE}, "
               f"lr {args.lr:g} then {args.lr * 0.1:g} from step {math.ceil(args.decay_at * args.steps):,}"
               + (f", from {args.load}" if args.load else ""), width, "  "))

    np = _numpy()
    batched = not args.engine and (args.compile or np is not None)
    if not batched and args.steps:
        why = ("--engine" if args.engine
               else "numpy is not installed; pip install micrograd_lite[fast] for the batched step")
        print(wrap(f"training on the engine ({why}): {engine_estimate(model, Xtr, Ytr, args.steps)}", width, "  "))
    if np is not None:  # evaluated many times: converted once
        Xdev, Ydev = np.asarray(Xdev, dtype=np.intp), np.asarray(Ydev, dtype=np.intp)

    rng = random.Random(args.seed)
    start = time.perf_counter()
    dev_curve = []  # (step, dev loss) at each evaluation, for --plot

    def on_eval(step, forward):
        dev_curve.append((step, evaluate(model, Xdev, Ydev, forward)))
        return f"step {step:>7,}: dev loss {dev_curve[-1][1]:.4f} ({time.perf_counter() - start:.0f} s)"
    try:
        batch_losses = (train_compiled if batched else train)(
              model, Xtr, Ytr, args.steps, args.lr, rng, progress=not args.no_progress, decay_at=args.decay_at,
              eval_every=args.eval_every, on_eval=on_eval)
    except micrograd_lite.CompileError as e:
        sys.exit(f"makemore: {'--compile' if args.compile else 'the batched step'}: {e}")
    except Diverged as e:
        sys.exit(f"makemore: {e}; lr {args.lr:g} is too large, try a smaller --lr{_save_after(model, args.save)}")
    seconds = time.perf_counter() - start
    train_loss, dev_loss = evaluate(model, Xtr, Ytr), evaluate(model, Xdev, Ydev)
    if not (math.isfinite(train_loss) and math.isfinite(dev_loss)):  # finite parameters, yet logits overflow
        sys.exit(f"makemore: training diverged: after step {args.steps:,} the loss over the training set is "
                 f"{train_loss:.4g} and over dev {dev_loss:.4g}; lr {args.lr:g} is too large, try a smaller --lr"
                 f"{_save_after(model, args.save)}")
    verdict = "beats" if dev_loss < bigram_dev else "does not beat"
    speed = f" in {seconds / 60:.1f} min ({args.steps / seconds:.1f} steps/s)" if args.steps else ""
    print(wrap(f"MLP: train loss {train_loss:.4f} (over all {len(Xtr):,} training examples, not the last batch), "
               f"dev loss {dev_loss:.4f} after {args.steps:,} steps{speed}; {verdict} the bigram's {bigram_dev:.4f}",
               width, "  "))
    print(wrap("samples: " + format_samples(sample(model, 20, rng)), width, "  "))
    if args.save:
        micrograd_lite.save(model, args.save)
        print(f"saved to {args.save}")
    if args.plot:
        print(wrap(write_plot(batch_losses, dev_curve, args.plot, uniform=math.log(len(VOCAB)), bigram=bigram_dev),
                   width, "  "))
    if args.json:
        print(json.dumps({"train_loss": train_loss, "dev_loss": dev_loss, "bigram_dev_loss": bigram_dev,
                          "steps": args.steps, "seconds": round(seconds, 3), "parameters": n_params}))


if __name__ == "__main__":
    main()
