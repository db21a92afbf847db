"""A GPT from scalar `Value`s: microgpt's model and training schedule, on this library's engine.

Model and schedule after A. Karpathy's *microgpt* (February 2026: a GPT trained and sampled on names.txt in
about 200 lines of pure Python), which follows GPT-2 (A. Radford et al., "Language Models are Unsupervised
Multitask Learners", 2019) with RMSNorm (B. Zhang and R. Sennrich, 2019) in place of LayerNorm, no biases and
ReLU in the MLP. Tokens: the letters a..z are 0..25 and one BOS token, 26, both begins and ends a name:
``[26] + letters + [26]``, cut to ``block_size + 1`` tokens. Forward at position t::

    x = rmsnorm(wte[token] + wpe[t])
    per layer:  r = x; x = rmsnorm(x); q, k, v = Wq x, Wk x, Wv x (k, v appended to the layer's cache)
                x = Wo (each head's softmax(q_h . k_h / sqrt(head_dim)) over positions <= t, times v_h) + r
                r = x; x = fc2 relu(fc1 rmsnorm(x)) + r
    logits = lm_head x

with ``rmsnorm(x) = x (mean(x^2) + 1e-5)^(-1/2)`` (no gain). The loss of a name is the mean over its positions
of the cross-entropy of the next token. Default size (microgpt's): 1 layer, n_embd 16, 4 heads, block size 16.

Training (microgpt's schedule): one name per step, `Adam` with lr 0.01, betas (0.85, 0.99), eps 1e-8, the
learning rate decayed linearly to 0 over the steps (1,000 by default). The names are makemore's 80/10/10 split
(`demos.makemore.split_words`); training walks the training names in an order shuffled by ``--seed``. **Dev
loss**: the mean per-character cross-entropy over the dev split, each name encoded as above (every position
of every dev name, weighted equally), comparable with the makemore MLP's dev loss. The train loss is the same
measure over the first training names of the split (a random sample, as many as dev has). Samples are drawn at
microgpt's temperature 0.5.

Compiled (``--compile``): `GPT.masked_loss` traced once and compiled for batches (``compile(...,
batch=True)``, numpy), each step a batch of names padded to the block size with their loss masked to the real
positions, the same Adam schedule, evaluation batched by the same step (`train_compiled`,
`evaluate_compiled`). ``--explain``: the chain rule from a name's loss through one attention weight down to
the embedding table (`explain`).

Run: ``python demos/gpt.py --data ../shared/data/names.txt`` (add ``--compile``; ``--help`` for options).
"""

import argparse
import json
import math
import os
import random
import sys
import time
from string import ascii_lowercase

from tqdm import tqdm

from micrograd_lite import Adam, Embedding, Module, Value, cross_entropy, nn, no_grad, softmax

if not __package__:  # run as a script (python demos/gpt.py): make `demos` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from demos.cli import terminal_width, wrap  # noqa: E402
from demos.makemore import (DataError, Diverged, _count, _positive_float, _positive_int, all_finite,  # noqa: E402
                            format_samples, load_words, split_words)

LETTERS = ascii_lowercase  # token i < 26 is LETTERS[i]
BOS = 26                   # begins and ends every name
VOCAB_SIZE = 27
N_LAYER, N_EMBD, N_HEAD, BLOCK_SIZE = 1, 16, 4, 16  # microgpt's model
INIT_STD = 0.08            # microgpt: every weight from N(0, 0.08^2)
RMS_EPS = 1e-5             # inside rmsnorm's square root, as microgpt
STEPS, LR, BETAS, ADAM_EPS = 1000, 0.01, (0.85, 0.99), 1e-8  # microgpt's schedule
SEED = 42
TEMPERATURE = 0.5          # microgpt's sampling temperature
LOG_EVERY = 100            # steps between the printed training losses
LOG_EVERY_COMPILED = 500   # the same for --compile's batches (a few lines over its default steps)
SAMPLES = 20
ENGINE = dict(n_layer=N_LAYER, n_embd=N_EMBD, n_head=N_HEAD, block_size=BLOCK_SIZE, steps=STEPS, lr=LR)
# --compile's defaults: chosen by short runs so that the plain command reaches dev <= 2.10 in <= 10 minutes on
# a shared 2-core machine (the README's table has the measured runs).
COMPILED = dict(n_layer=1, n_embd=32, n_head=4, block_size=16, batch_size=64, steps=3000, lr=0.01)


# ---- tokens -------------------------------------------------------------------------------------------------
def encode(name, block_size=BLOCK_SIZE):
    """`name` (a str of a-z) -> ``[BOS] + its letters' tokens + [BOS]``, cut to ``block_size + 1`` tokens (a
    list of ints; a..z are 0..25, BOS 26). Raises ValueError naming the name and the first character outside
    a-z."""
    for ch in name:
        if ch not in LETTERS:
            raise ValueError(f"encode: {name!r} has {ch!r}, not a letter a-z")
    return ([BOS] + [LETTERS.index(ch) for ch in name] + [BOS])[:block_size + 1]


def decode(tokens):
    """Tokens -> the letters they stand for (a str); BOS tokens are dropped."""
    return "".join(LETTERS[t] for t in tokens if t != BOS)


# ---- the model's pieces ---------------------------------------------------------------------------------
def linear(x, w):
    """``W x`` without bias: `w` is a list of rows (one per output, as ``nn.Linear``'s weight), each a list of
    ``len(x)`` Values -> a list of ``len(w)`` Values, one `Value.dot` node each."""
    return [Value.dot(row, x) for row in w]


def rmsnorm(x):
    """``x (mean(x^2) + 1e-5)^(-1/2)``: `x` (n Values) rescaled to a root mean square of about 1, no gain -> n
    Values."""
    scale = (Value.dot(x, x) * (1.0 / len(x)) + RMS_EPS) ** -0.5
    return [xi * scale for xi in x]


def attention(q, keys, values, n_head, record=None):
    """Causal multi-head attention at one position t: `q` is its query (n_embd Values), `keys` and `values`
    the keys and values of positions 0..t (the cache, t + 1 lists of n_embd Values). Head h uses the
    components ``h*hd .. (h+1)*hd - 1`` (hd = n_embd / n_head): weights ``softmax(q_h . k_h / sqrt(hd))``
    (`attention_weights`) over the t + 1 positions, output their weighted sum of the v_h. Returns the heads'
    outputs concatenated (n_embd Values). `record`: None, or a list to which each head's weights (t + 1
    Values) are appended."""
    hd = len(q) // n_head
    scale = 1.0 / math.sqrt(hd)
    out = []
    for h in range(n_head):
        lo, hi = h * hd, (h + 1) * hd
        q_h = q[lo:hi]
        weights = attention_weights([Value.dot(q_h, k[lo:hi]) * scale for k in keys])
        if record is not None:
            record.append(weights)
        out += [Value.dot(weights, [v[j] for v in values]) for j in range(lo, hi)]
    return out


def attention_weights(scores):
    """``softmax(scores)`` written ``exp(s_i - logsumexp(scores))``: one fused `Value.logsumexp` node and
    no constant taken from the data (`softmax` subtracts the largest score as a number, which a compiled
    step would freeze at its traced value; harmless to the result, but a data-derived constant in code run on
    other data). `scores`: t + 1 Values -> t + 1 Values summing to 1."""
    lse = Value.logsumexp(scores)
    return [(s - lse).exp() for s in scores]


def mlp(x, fc1, fc2):
    """The MLP block: ``fc2 relu(fc1 x)`` (n_embd -> 4 n_embd -> n_embd Values)."""
    return linear([h.relu() for h in linear(x, fc1)], fc2)


def add(xs, ys):
    """Elementwise ``xs + ys`` (a residual connection)."""
    return [a + b for a, b in zip(xs, ys)]


class GPT(Module):
    """microgpt's GPT (see the module docstring) over a vocabulary of `vocab_size` tokens.

    `n_layer` blocks, embedding width `n_embd`, `n_head` heads (n_embd must be a multiple of n_head),
    `block_size` positions; `rng` (None, an int seed or a ``random.Random``) draws every weight from N(0, 0.08^2),
    in microgpt's order: wte, wpe, lm_head, then per layer attn_wq, attn_wk, attn_wv, attn_wo, mlp_fc1, mlp_fc2,
    each row by row. ``model.sd`` maps microgpt's weight names to lists of rows of Values (rows = outputs, as
    ``nn.Linear``): ``wte`` vocab_size x n_embd, ``wpe`` block_size x n_embd, ``lm_head`` vocab_size x n_embd,
    ``layer{i}.attn_wq/wk/wv/wo`` n_embd x n_embd, ``layer{i}.mlp_fc1`` 4 n_embd x n_embd, ``layer{i}.mlp_fc2``
    n_embd x 4 n_embd. Parameters are named ``{name}.{row}.{column}``. ``wte`` and ``wpe`` are `Embedding`s
    (``model.wte``, ``model.wpe``) whose ``weight`` is the same lists as ``sd['wte']``, ``sd['wpe']``.
    Raises TypeError for a size that is not an int, ValueError for one below 1, n_embd not divisible by n_head
    or more than `micrograd_lite.nn.MAX_PARAMETERS` parameters (checked before any is allocated).
    """

    def __init__(self, vocab_size=VOCAB_SIZE, n_layer=N_LAYER, n_embd=N_EMBD, n_head=N_HEAD,
                 block_size=BLOCK_SIZE, rng=None):
        for name, n in (("vocab_size", vocab_size), ("n_layer", n_layer), ("n_embd", n_embd), ("n_head", n_head),
                        ("block_size", block_size)):
            if not isinstance(n, int) or isinstance(n, bool):
                raise TypeError(f"GPT {name}: expected an int, got {type(n).__name__} {n!r}")
            if n < 1:
                raise ValueError(f"GPT {name}: must be at least 1, got {n}")
        if n_embd % n_head:
            raise ValueError(f"GPT: n_embd {n_embd} is not a multiple of n_head {n_head} (each head takes "
                             f"n_embd / n_head components)")
        count = (2 * vocab_size + block_size) * n_embd + n_layer * 12 * n_embd * n_embd
        if count > nn.MAX_PARAMETERS:
            raise ValueError(f"GPT: {count:,} parameters, more than micrograd_lite.nn.MAX_PARAMETERS = "
                             f"{nn.MAX_PARAMETERS:,}; each is a Python object, so this would run out of memory")
        self.vocab_size, self.n_layer, self.n_embd = vocab_size, n_layer, n_embd
        self.n_head, self.block_size = n_head, block_size
        rng = random.Random(rng) if rng is None or isinstance(rng, int) else rng

        def matrix(rows, cols):
            return [[rng.gauss(0.0, INIT_STD) for _ in range(cols)] for _ in range(rows)]
        self.wte = Embedding(vocab_size, n_embd, weights=matrix(vocab_size, n_embd))
        self.wpe = Embedding(block_size, n_embd, weights=matrix(block_size, n_embd))
        self.sd = {"wte": self.wte.weight, "wpe": self.wpe.weight}
        shapes = [("lm_head", vocab_size, n_embd)]
        for i in range(n_layer):
            shapes += [(f"layer{i}.attn_w{x}", n_embd, n_embd) for x in "qkvo"]
            shapes += [(f"layer{i}.mlp_fc1", 4 * n_embd, n_embd), (f"layer{i}.mlp_fc2", n_embd, 4 * n_embd)]
        for name, rows, cols in shapes:
            self.sd[name] = [[Value(x) for x in row] for row in matrix(rows, cols)]

    # ---- forward --------------------------------------------------------------------------------------------
    def new_cache(self):
        """An empty KV cache: per layer, a pair (keys, values) of lists, one entry per position seen."""
        return [([], []) for _ in range(self.n_layer)]

    def step(self, x, cache, record=None):
        """The model at the next position t = the cache's length, from its input vector `x` (n_embd Values:
        ``wte[token] + wpe[t]``). Appends this position's keys and values to `cache` (from `new_cache`) and
        returns the `vocab_size` logits (Values). `record`: None, or a list to which the attention weights of
        each layer's heads are appended (n_layer x n_head lists of t + 1 Values, layer by layer)."""
        sd = self.sd
        x = rmsnorm(x)
        for i, (keys, values) in enumerate(cache):
            w = f"layer{i}."
            r = x
            x = rmsnorm(x)
            keys.append(linear(x, sd[w + "attn_wk"]))
            values.append(linear(x, sd[w + "attn_wv"]))
            heads = attention(linear(x, sd[w + "attn_wq"]), keys, values, self.n_head, record)
            x = add(linear(heads, sd[w + "attn_wo"]), r)
            x = add(mlp(rmsnorm(x), sd[w + "mlp_fc1"], sd[w + "mlp_fc2"]), x)
        return linear(x, sd["lm_head"])

    def logits(self, token, cache, record=None):
        """The `vocab_size` logits (Values) for the token after `token` (an int), at position t = the cache's
        length; extends `cache` (and `record`, as `step`). Raises IndexError for a token or a position outside
        the tables."""
        if len(cache[0][0]) >= self.block_size:
            raise IndexError(f"GPT: position {len(cache[0][0])} is past the block size {self.block_size}")
        return self.step(add(self.wte(token), self.wpe(len(cache[0][0]))), cache, record)

    def position_losses(self, tokens):
        """The cross-entropy of each next token of `tokens` (2 to block_size + 1 ints, as `encode` returns):
        a list of ``len(tokens) - 1`` Values. Raises ValueError for a wrong length, IndexError for a token
        outside [0, vocab_size) and TypeError for one that is not an int, before building anything."""
        if not 2 <= len(tokens) <= self.block_size + 1:
            raise ValueError(f"GPT: expected 2 to {self.block_size + 1} tokens (block size {self.block_size}), "
                             f"got {len(tokens)}")
        for t, token in enumerate(tokens):
            if not isinstance(token, int) or isinstance(token, bool):
                raise TypeError(f"GPT: token {t} is {type(token).__name__} {token!r}, not an int")
            if not 0 <= token < self.vocab_size:
                raise IndexError(f"GPT: token {t} is {token}, outside the vocabulary [0, {self.vocab_size})")
        cache = self.new_cache()
        return [cross_entropy(self.logits(tokens[t], cache), tokens[t + 1]) for t in range(len(tokens) - 1)]

    def loss(self, tokens):
        """The loss of one name: the mean over its positions of the next token's cross-entropy (a Value).
        `tokens`: as `position_losses`."""
        losses = self.position_losses(tokens)
        return Value.sum(losses) * (1.0 / len(losses))

    def masked_loss(self, inputs, targets, mask):
        """`loss` as a static graph, for one name padded to the block size: `inputs` and `targets` are
        `block_size` one-hot rows of `vocab_size` numbers (Values or numbers; the token at each position and the
        one after it), `mask` `block_size` numbers, 1 at a name's real positions and 0 at padding. Returns
        ``sum_t mask_t ce_t / sum_t mask_t`` with ``ce_t = logsumexp(z_t) - z_t . targets[t]``: for the rows
        `pad` makes, equal to ``loss(tokens)``. The graph is the same for every name (the tokens choose no
        nodes: embeddings are `Embedding.one_hot_lookup` dots, targets dots), so a compiler can trace it once
        and run it over a batch. Causal attention never reads a later position, so padding does not change
        the real positions' losses. Raises ValueError for rows of the wrong count."""
        if not len(inputs) == len(targets) == len(mask) == self.block_size:
            raise ValueError(f"GPT.masked_loss: expected {self.block_size} inputs, targets and mask entries, "
                             f"got {len(inputs)}, {len(targets)}, {len(mask)}")
        cache = self.new_cache()
        losses = []
        for t in range(self.block_size):
            z = self.step(add(self.wte.one_hot_lookup([inputs[t]]), self.wpe(t)), cache)
            losses.append(Value.logsumexp(z) - Value.dot(z, targets[t]))
        return Value.dot(losses, mask) / Value.sum(mask)

    def pad(self, tokens):
        """`tokens` (2 to block_size + 1 ints) -> ``(inputs, targets, mask)`` for `masked_loss`: one-hot rows
        of floats, padded to the block size with BOS -> BOS rows of mask 0."""
        n = len(tokens) - 1
        if not 1 <= n <= self.block_size:
            raise ValueError(f"GPT.pad: expected 2 to {self.block_size + 1} tokens, got {len(tokens)}")
        eye = [[float(i == j) for j in range(self.vocab_size)] for i in range(self.vocab_size)]
        pad = self.vocab_size - 1
        inputs = [eye[t] for t in tokens[:-1]] + [eye[pad]] * (self.block_size - n)
        targets = [eye[t] for t in tokens[1:]] + [eye[pad]] * (self.block_size - n)
        return inputs, targets, [1.0] * n + [0.0] * (self.block_size - n)

    def _named_parameters(self, prefix):
        for name, rows in self.sd.items():
            for i, row in enumerate(rows):
                for j, v in enumerate(row):
                    yield f"{prefix}{name}.{i}.{j}", v

    def __repr__(self):
        return (f"GPT(vocab_size={self.vocab_size}, n_layer={self.n_layer}, n_embd={self.n_embd}, "
                f"n_head={self.n_head}, block_size={self.block_size})")


# ---- evaluation and sampling ------------------------------------------------------------------------------
def evaluate(model, words):
    """Dev loss: the mean per-character cross-entropy (a float) over `words` (names of a-z), each encoded
    with the model's block size: the sum of every position's loss over the number of positions. Runs the
    engine under `no_grad` (no graph is kept)."""
    total, count = 0.0, 0
    with no_grad():
        for word in words:
            losses = model.position_losses(encode(word, model.block_size))
            total += sum(v.data for v in losses)
            count += len(losses)
    return total / count


def sample(model, n, rng, temperature=TEMPERATURE):
    """`n` names (str) drawn from the model: start at BOS, draw each next token from
    ``softmax(logits / temperature)`` with `rng` (a ``random.Random``), stop at BOS or at the block size."""
    out = []
    with no_grad():
        for _ in range(n):
            cache, token, chars = model.new_cache(), BOS, []
            for _ in range(model.block_size):
                probs = softmax([z * (1.0 / temperature) for z in model.logits(token, cache)])
                token = rng.choices(range(model.vocab_size), weights=[p.data for p in probs])[0]
                if token == BOS:
                    break
                chars.append(LETTERS[token])
            out.append("".join(chars))
    return out


# ---- training -------------------------------------------------------------------------------------------
def train(model, words, steps, lr, rng, progress=True, log_every=LOG_EVERY, width=None):
    """microgpt's schedule: step k (0-based) takes the name ``order[k % len(words)]`` (`words` shuffled once
    by `rng`), builds the graph of `model.loss`, backpropagates and takes an `Adam` step (betas (0.85, 0.99),
    eps 1e-8) at ``lr * (1 - k / steps)``. `progress`: a tqdm bar (stderr) as wide as the terminal. Every
    `log_every` steps (0: never) and after the last, prints a line (stdout, wrapped to `width` columns) with
    the mean loss of the steps since the previous line. Returns the list of the steps' losses (floats). Raises
    `Diverged` (from demos.makemore) when a loss is not finite (before that step's update) or an update makes
    a parameter infinite or NaN."""
    order = list(words)
    rng.shuffle(order)
    opt = Adam(model.parameters(), lr=lr, betas=BETAS, eps=ADAM_EPS)
    losses = []
    bar = tqdm(range(steps), unit="step", disable=not progress, ncols=terminal_width())
    for k in bar:
        try:
            loss = model.loss(encode(order[k % len(order)], model.block_size))
        except OverflowError:  # a forward number past the float range: the weights have blown up
            raise Diverged(k + 1, math.inf) from None
        if not math.isfinite(loss.data):  # before the update: the model keeps the last finite step's weights
            raise Diverged(k + 1, loss.data)
        opt.zero_grad()
        loss.backward()
        opt.lr = lr * (1.0 - k / steps)
        opt.step()
        if not all_finite(model):
            raise Diverged(k + 1, loss.data, update=True)
        losses.append(loss.data)
        bar.set_postfix_str(f"loss {loss.data:.4f}", refresh=False)
        if log_every and ((k + 1) % log_every == 0 or k + 1 == steps):
            recent = losses[-((k % log_every) + 1):]
            bar.write(wrap(f"step {k + 1:>5,} / {steps:,}: loss {sum(recent) / len(recent):.4f} (mean of the last "
                           f"{len(recent)} names)", width, "  "), file=sys.stdout)
    bar.close()
    return losses


# ---- the compiled, batched path ----------------------------------------------------------------------------
def padded_tokens(words, block_size):
    """`words` (N names) -> ``(tokens, positions)``, numpy int arrays: ``tokens[i]`` is ``encode(words[i])``
    padded with BOS to ``block_size + 1`` tokens (N x (block_size + 1)), ``positions[i]`` its number of real
    positions, ``len(encode(words[i])) - 1`` (N). Raises ValueError as `encode`."""
    from micrograd_lite.compiler.batched import numpy_or_error
    np = numpy_or_error()
    tokens = np.full((len(words), block_size + 1), BOS, dtype=np.int64)
    positions = np.empty(len(words), dtype=np.int64)
    for i, word in enumerate(words):
        t = encode(word, block_size)
        tokens[i, :len(t)] = t
        positions[i] = len(t) - 1
    return tokens, positions


def padded_batch(model, tokens, positions):
    """`GPT.pad`'s rows for a batch, as numpy arrays: `tokens` and `positions` (from `padded_tokens`, B rows)
    -> ``(inputs, targets, mask)`` of shapes (B, block_size, vocab_size) twice and (B, block_size): one-hot
    rows of the token at each position and of the one after it (BOS -> BOS past a name's end, as `pad`), and
    1.0 at the real positions, 0.0 at padding."""
    import numpy as np
    eye = np.eye(model.vocab_size)
    mask = (np.arange(model.block_size)[None, :] < positions[:, None]).astype(float)
    return eye[tokens[:, :-1]], eye[tokens[:, 1:]], mask


def compile_loss(model):
    """`model.masked_loss` compiled once for batches (`micrograd_lite.compile` with ``batch=True``): a
    `BatchedStep` that takes `padded_batch`'s three arrays and returns the mean over the batch of the names'
    losses. Raises CompileError naming the `fast` extra without numpy."""
    import micrograd_lite
    return micrograd_lite.compile(model.masked_loss, *model.pad([BOS, BOS]), batch=True)


def evaluate_compiled(model, words, step=None, chunk=1024):
    """`evaluate` (the mean per-character cross-entropy over `words`, a float) run batched by the compiled
    `step` (from `compile_loss`; compiled here when None) on the parameters' current ``.data``. The step
    returns the mean of names' losses, each a mean over the name's positions, so names are taken in groups
    of one length n: the sum of a group's position losses is its mean times its size times n. `chunk`: at
    most this many names per call, to bound memory."""
    step = compile_loss(model) if step is None else step
    tokens, positions = padded_tokens(words, model.block_size)
    total, count = 0.0, 0
    for n in sorted(set(positions.tolist())):
        rows = (positions == n).nonzero()[0]
        for lo in range(0, len(rows), chunk):
            ix = rows[lo:lo + chunk]
            total += step.forward(*padded_batch(model, tokens[ix], positions[ix])) * len(ix) * n
            count += len(ix) * n
    return total / count


def train_compiled(model, words, steps, lr, rng, batch_size, progress=True, log_every=LOG_EVERY_COMPILED,
                   width=None, step=None):
    """microgpt's schedule over batches: step k takes the next `batch_size` names of `words` shuffled once by
    `rng` (walking the order round, as `train` does one name at a time), padded to the block size
    (`padded_batch`), runs the compiled step (`compile_loss`; compiled here when `step` is None: the mean
    over the batch of the names' losses, and its gradient in each parameter's ``.grad``) and takes an `Adam`
    step (betas (0.85, 0.99), eps 1e-8) at ``lr * (1 - k / steps)``. Progress bar and printed lines as
    `train`, each line the mean of the batch losses since the previous one. Returns the batch losses. Raises
    `Diverged` (from demos.makemore) when a batch loss is not finite, before that step's update."""
    from micrograd_lite.compiler.batched import numpy_or_error
    step = compile_loss(model) if step is None else step
    order = list(words)
    rng.shuffle(order)
    tokens, positions = padded_tokens(order, model.block_size)
    opt = Adam(step.params, lr=lr, betas=BETAS, eps=ADAM_EPS)
    losses = []
    bar = tqdm(range(steps), unit="step", disable=not progress, ncols=terminal_width())
    # A loss that overflows is reported as Diverged below; numpy's warnings would only repeat it, in its words.
    with numpy_or_error().errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in bar:
            ix = [(k * batch_size + i) % len(order) for i in range(batch_size)]
            opt.zero_grad()
            loss = step(*padded_batch(model, tokens[ix], positions[ix]))
            if not math.isfinite(loss):  # before the update: the model keeps the last finite step's weights
                bar.close()
                raise Diverged(k + 1, loss)
            opt.lr = lr * (1.0 - k / steps)
            opt.step()
            losses.append(loss)
            bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
            if log_every and ((k + 1) % log_every == 0 or k + 1 == steps):
                recent = losses[-((k % log_every) + 1):]
                bar.write(wrap(f"step {k + 1:>5,} / {steps:,}: loss {sum(recent) / len(recent):.4f} (mean of the "
                               f"last {len(recent)} batches of {batch_size})", width, "  "), file=sys.stdout)
    bar.close()
    return losses


# ---- explaining -------------------------------------------------------------------------------------------
EXPLAIN_NAME, EXPLAIN_S = "emma", 1  # the last position attends to position 1 ("e", read there only)


def explain(model, name=EXPLAIN_NAME, t=None, s=EXPLAIN_S, head=0, width=None):
    """How a gradient reaches the embedding table, through one attention weight (a str, wrapped to `width`).

    Builds `model.loss` of `name` on the engine, backpropagates, and shows (1) the attention weights of
    `head` (layer 0) at position `t` (None: the name's last) over the positions 0..t, each with its value
    and ``∂loss/∂a``, and (2) `micrograd_lite.explain.chain_rule` from the loss down to component 0 of the
    embedding row of the token at position `s` (``wte[ch][0]``), stopping at the weight ``a[t,s]`` with which
    position t attends to position s: one term through that weight (∂loss/∂a × ∂a/∂wte) and one collapsing
    every other path (position s's own prediction, its key and value as later positions read them); their
    sum is checked against ``backward()`` (ChainRuleError otherwise). The parameters' ``.grad`` are left as
    they were. Raises ValueError when the token at position s occurs at another input position too (its row
    would be read twice), for positions or a head outside the name or the model, and as `encode` for a bad
    name."""
    from micrograd_lite.explain import chain_rule
    tokens = encode(name, model.block_size)
    t = len(tokens) - 2 if t is None else t
    if not 0 <= s <= t < len(tokens) - 1:
        raise ValueError(f"explain: positions s={s} <= t={t} must lie in the name's 0..{len(tokens) - 2}")
    if tokens[:-1].count(tokens[s]) != 1:
        raise ValueError(f"explain: the token at position {s} of {name!r} occurs at other positions too")
    if not 0 <= head < model.n_head:
        raise ValueError(f"explain: head {head} outside 0..{model.n_head - 1}")
    cache, records, losses = model.new_cache(), [], []
    for i in range(len(tokens) - 1):
        record = []
        losses.append(cross_entropy(model.logits(tokens[i], cache, record), tokens[i + 1]))
        records.append(record[head])  # layer 0's heads come first
    loss = Value.sum(losses) * (1.0 / len(losses))
    params = model.parameters()
    saved = [p.grad for p in params]  # restored below: explaining leaves the model as it found it
    model.zero_grad()
    loss.backward()

    def shown(i):
        return decode([tokens[i]]) or "BOS"
    ch = shown(s)
    loss.label = "loss"
    for j, a in enumerate(records[t]):
        a.label = f"a[{t},{j}]"
    leaf = model.sd["wte"][tokens[s]][0]
    leaf.label = f"wte[{ch}][0]"
    try:
        b = chain_rule(loss, leaf, through=[records[t][s]])
    finally:
        for p, g in zip(params, saved):
            p.grad = g
        loss.label = leaf.label = None
        for a in records[t]:
            a.label = None
    lines = [f"The loss of {name!r} ({len(losses)} positions, {model!r}, untrained weights) and how its "
             f"gradient reaches the embedding table wte.",
             f"Head {head} of layer 0 at position {t} (input {shown(t)!r}) attends to the positions 0..{t}: "
             f"a[{t},j] = softmax_j(q_{t} . k_j / sqrt({model.n_embd // model.n_head})), computed as "
             f"exp(score - logsumexp(scores)).", ""]
    rows = [("j", "token", f"a[{t},j]", f"∂loss/∂a[{t},j]")]
    rows += [(str(j), shown(j), f"{a.data:.6f}", f"{a.grad:+.6f}") for j, a in enumerate(records[t])]
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    lines += ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in rows]
    lines += ["", f"The chain rule from the loss down to wte[{ch}][0] (component 0 of the embedding of {ch!r}, "
              f"read at position {s} only), stopping at a[{t},{s}]. The first term collapses into one factor "
              f"every path that avoids that weight: position {s}'s own prediction, and its key and value as "
              f"the positions from {s} on read them, other than through a[{t},{s}]. The second goes through "
              f"a[{t},{s}]. Their sum is the gradient backward() computes:", "", b.format()]
    return wrap("\n".join(lines), width, "  ")


# ---- the program ----------------------------------------------------------------------------------------
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", metavar="PATH", help="one name per line, a-z only (default: the census first names "
                    "of the `names` package)")
    ap.add_argument("--compile", action="store_true", help="train with the batched compiled step (numpy, the "
                    "`fast` extra): batches of names padded to the block size, evaluated batched too")
    ap.add_argument("--n-layer", type=_positive_int, help=f"blocks (default {N_LAYER}; with --compile "
                    f"{COMPILED['n_layer']})")
    ap.add_argument("--n-embd", type=_positive_int, help=f"embedding width (default {N_EMBD}; with --compile "
                    f"{COMPILED['n_embd']})")
    ap.add_argument("--n-head", type=_positive_int, help=f"attention heads, dividing --n-embd (default "
                    f"{N_HEAD}; with --compile {COMPILED['n_head']})")
    ap.add_argument("--block-size", type=_positive_int, help=f"positions; longer names are cut (default "
                    f"{BLOCK_SIZE}; with --compile {COMPILED['block_size']})")
    ap.add_argument("--batch-size", type=_positive_int, help=f"names per step, with --compile only (default "
                    f"{COMPILED['batch_size']})")
    ap.add_argument("--steps", type=_count, help=f"Adam steps of one name each (with --compile: of one batch); "
                    f"0: evaluate only (default {STEPS}; with --compile {COMPILED['steps']})")
    ap.add_argument("--lr", type=_positive_float, help=f"learning rate at the first step, decayed linearly to 0 "
                    f"(default {LR}; with --compile {COMPILED['lr']})")
    ap.add_argument("--seed", type=int, default=SEED,
                    help="seed of the weights, the order of the names and sampling (default %(default)s)")
    ap.add_argument("--json", action="store_true", help="end with one JSON line of results")
    ap.add_argument("--explain", action="store_true", help="show how a gradient reaches the embedding table "
                    "through one attention weight (the chain rule, the model untrained, of the size the options "
                    "give), then exit")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.explain and args.compile:
        ap.error("--explain shows the engine's graph; it does not train, so --compile does not apply")
    if args.batch_size is not None and not args.compile:
        ap.error("--batch-size needs --compile (the engine trains on one name per step)")
    defaults = COMPILED if args.compile else ENGINE
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.n_embd % args.n_head:
        ap.error(f"--n-embd {args.n_embd} is not a multiple of --n-head {args.n_head} (each head takes "
                 f"n_embd / n_head components)")
    return args


def main(argv=None):
    args = parse_args(argv)
    width = terminal_width()
    if args.explain:
        model = GPT(VOCAB_SIZE, args.n_layer, args.n_embd, args.n_head, args.block_size, rng=args.seed)
        try:
            print(explain(model, width=width))
        except ValueError as e:  # a block size too short for the explained positions
            sys.exit(f"gpt: {e}")
        return
    try:
        words, description = load_words(args.data)
        train_words, dev_words, test_words = split_words(words)
    except DataError as e:
        sys.exit(f"gpt: {e}")
    print(wrap(f"data: {description}; split {len(train_words):,} / {len(dev_words):,} / {len(test_words):,} "
               f"names (train / dev / test, test held out)", width, "  "))
    rng = random.Random(args.seed)
    model = GPT(VOCAB_SIZE, args.n_layer, args.n_embd, args.n_head, args.block_size, rng=rng)
    n_params = len(model.parameters())
    per_step = f"batches of {args.batch_size} names (compiled)" if args.compile else "one name"
    print(wrap(f"model: {model!r}, {n_params:,} parameters; {args.steps:,} steps of {per_step}, Adam lr "
               f"{args.lr:g} decayed linearly to 0, betas {BETAS}, eps {ADAM_EPS:g}", width, "  "))
    start = time.perf_counter()
    if args.compile:
        from micrograd_lite import CompileError
        if "numpy" not in sys.modules:
            # The step's matrices are small (batch x n_embd): BLAS threads cost more in handing the work
            # over than they save, and on a shared machine they wait for cores. Read when numpy loads.
            os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        try:
            step = compile_loss(model)
        except CompileError as e:  # numpy missing: nothing trained yet
            sys.exit(f"gpt: --compile: {e}")
        try:
            train_compiled(model, train_words, args.steps, args.lr, rng, args.batch_size,
                           progress=not args.no_progress, width=width, step=step)
        except Diverged as e:
            sys.exit(f"gpt: {e}; try a smaller --lr")
    else:
        try:
            train(model, train_words, args.steps, args.lr, rng, progress=not args.no_progress, width=width)
        except Diverged as e:
            sys.exit(f"gpt: {e}; try a smaller --lr")
    seconds = time.perf_counter() - start
    # The split shuffled the names, so its first training names are a random sample of them; as many as dev
    # has keeps the evaluation as short as dev's (the whole training split would take eight times as long).
    train_sample = train_words[:len(dev_words)]
    if args.compile:
        dev_loss, train_loss = (evaluate_compiled(model, ws, step) for ws in (dev_words, train_sample))
    else:
        dev_loss, train_loss = (evaluate(model, ws) for ws in (dev_words, train_sample))
    speed = f" in {seconds / 60:.1f} min ({args.steps / seconds:.1f} steps/s)" if args.steps else ""
    print(wrap(f"GPT: dev loss {dev_loss:.4f} (mean per-character cross-entropy over the {len(dev_words):,} dev "
               f"names), train loss {train_loss:.4f} (over {len(train_sample):,} training names) after "
               f"{args.steps:,} steps{speed}", width, "  "))
    print(wrap("samples: " + format_samples(sample(model, SAMPLES, rng)), width, "  "))
    if args.json:
        print(json.dumps({"dev_loss": dev_loss, "train_loss": train_loss, "steps": args.steps,
                          "seconds": round(seconds, 3), "parameters": n_params}))


if __name__ == "__main__":
    main()
