"""Neural-network building blocks on top of `Value`: `Module`, `Neuron`, `Layer`, `MLP`, `Embedding`.

Shapes are Python lists: a layer maps a list of `nin` inputs (Values or numbers) to a list of `nout` Values.
Random initialisation follows PyTorch's ``nn.Linear``: weights and biases drawn from U(-1/sqrt(nin),
1/sqrt(nin)), so a unit's pre-activation starts with a variance that does not grow with `nin`.
"""

import math
import random
from numbers import Integral

from .checks import check_number as _check_number, short_repr as _short_repr
from .engine import Value, _dot, _values

__all__ = ["Module", "Neuron", "Layer", "MLP", "Embedding", "ACTIVATIONS", "StateDictError", "MAX_PARAMETERS"]

# Constructors refuse more parameters than this before allocating any: every parameter is a Python object,
# so a model of 10**9 would exhaust memory long before it could train. Raise it to build a larger model.
MAX_PARAMETERS = 10_000_000

# Activation name -> the Value method applied to a neuron's pre-activation (None: linear, no node added).
ACTIVATIONS = {"tanh": Value.tanh, "sigmoid": Value.sigmoid, "relu": Value.relu, "linear": None}


class Module:
    """Base class: anything that owns parameters. Subclasses implement ``_named_parameters(prefix)``."""

    def named_parameters(self):
        """``[(name, Value), ...]`` with dotted names such as ``'layers.0.neurons.1.w.2'``, in a fixed
        order. A parameter shared by several units (the same Value object) is listed once, under its first
        name, as in PyTorch."""
        seen = set()
        named = []
        for name, p in self._named_parameters(""):
            if p not in seen:  # Values hash by identity
                seen.add(p)
                named.append((name, p))
        return named

    def parameters(self):
        """The trainable Values (a list, shared ones once), in the order of `named_parameters()`."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Set the ``grad`` of every parameter to 0.0."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self):
        """``{name: float}``: every parameter's value under its `named_parameters()` name."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state, strict=True):
        """Set parameters from `state` (``{name: number}``, as `state_dict()` returns).

        Everything is checked before anything is written, so on error no parameter changes. Raises
        TypeError when `state` is not a dict, and StateDictError listing every problem: values that are not
        real numbers (bool excluded) or are ints too large for a float, and with ``strict=True`` names
        missing from `state` or not in the model. With ``strict=False`` missing and unexpected names are
        skipped. Returns ``(missing, unexpected)``, two lists of names sorted by their text."""
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state).__name__}")
        params = dict(self.named_parameters())
        # key=str: a dict from elsewhere may hold non-string keys, which do not sort against strings.
        missing = sorted(set(params) - set(state), key=str)
        unexpected = sorted(set(state) - set(params), key=str)
        values, bad = {}, []
        for name in params:
            if name in state:
                try:
                    values[name] = _check_number(state[name], name)
                except (TypeError, OverflowError):
                    bad.append(name)
        problems = []
        if strict and missing:
            problems.append(f"missing: {', '.join(map(repr, missing))}")
        if strict and unexpected:
            problems.append(f"unexpected: {', '.join(map(repr, unexpected))}")
        if bad:
            problems.append("not a float: " + ", ".join(f"{k}={_short_repr(state[k])}" for k in bad))
        if problems:
            raise StateDictError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems)
                                 + " (no parameter was changed)")
        for name, x in values.items():
            params[name].data = x
        return missing, unexpected

    def _named_parameters(self, prefix):
        raise NotImplementedError


class StateDictError(ValueError):
    """A state dict that does not fit the model; the message lists every problem."""


def _make_rng(rng, where):
    """A source of random numbers from `rng`: None (Python's global `random`, so ``random.seed`` applies),
    an int seed, or a ``random.Random``. `where`: the class, for the message."""
    if rng is None or rng is random:
        return random
    if isinstance(rng, random.Random):
        return rng
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    raise TypeError(f"{where} rng: expected None, an int seed or a random.Random, got {type(rng).__name__} "
                    f"{_short_repr(rng)}")


def _check_size(n, what):
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"{what}: expected an int, got {type(n).__name__} {_short_repr(n)}")
    if n < 1:
        raise ValueError(f"{what}: must be at least 1, got {n}")
    return n


def _check_count(count, call):
    """Refuse a model of more than `MAX_PARAMETERS` parameters, before any is allocated. `call`: how the
    user wrote the constructor call, for the message (its sizes named, e.g. ``Layer(nin=2, nout=10**9)``)."""
    if count > MAX_PARAMETERS:
        count = f"{count:,}" if count < 10**30 else f"about 10**{len(str(count)) - 1}"
        raise ValueError(f"{call}: {count} parameters, more than micrograd_lite.nn.MAX_PARAMETERS = "
                         f"{MAX_PARAMETERS:,}; each is a Python object, so this would run out of memory (raise "
                         f"MAX_PARAMETERS to build it anyway)")


def _activation(name, where):
    """`name` checked; `where` is the class and the argument, e.g. ``'MLP output_activation'``."""
    if name is None:
        name = "linear"
    if not isinstance(name, str):
        raise TypeError(f"{where}: expected a name, one of {sorted(ACTIVATIONS)}, got "
                        f"{type(name).__name__} {_short_repr(name)}")
    if name not in ACTIVATIONS:
        raise ValueError(f"{where}: unknown activation {_short_repr(name)}; choose one of {sorted(ACTIVATIONS)}")
    return name


def _list_argument(given, n, where, expected):
    """`given` as a list of `n` items; TypeError naming `where` and `expected` unless it is a list-like (a str,
    a dict, a number or a single Value is not), ValueError for another length."""
    if isinstance(given, (str, bytes, dict, Value)) or not hasattr(given, "__iter__"):
        raise TypeError(f"{where}: expected {expected}, got {type(given).__name__} {_short_repr(given)}")
    given = list(given)
    if len(given) != n:
        raise ValueError(f"{where}: expected {expected}, got {len(given)} entr{'y' if len(given) == 1 else 'ies'}")
    return given


def _weight_row(given, nin, where):
    """One unit's weights: `nin` numbers or Values -> a list of Values (a Value is kept, so it can be shared)."""
    items = _list_argument(given, nin, where, f"a list of {nin} numbers or Values")
    return [_parameter(x, f"{where}[{i}]") for i, x in enumerate(items)]


def _weight_rows(given, nout, nin, where):
    """None -> `nout` Nones; else `nout` rows of `nin` numbers or Values -> `nout` lists of Values."""
    if given is None:
        return [None] * nout
    rows = _list_argument(given, nout, where, f"a list of {nout} rows of {nin} numbers or Values")
    return [_weight_row(row, nin, f"{where}[{j}]") for j, row in enumerate(rows)]


def _bias_list(given, nout, where):
    """None -> `nout` Nones; else `nout` numbers or Values -> a list of Values."""
    if given is None:
        return [None] * nout
    return _weight_row(given, nout, where)


def _check_input(x, nin, where):
    """`x`, one example: a sequence of `nin` numbers or Values. A wrong length or type raises, naming
    `where`; a batch (a list of examples) gets a hint to call the model once per example."""
    if not hasattr(x, "__len__") or isinstance(x, (str, bytes)):
        raise TypeError(f"{where}: input must be a list of {nin} numbers or Values, got {type(x).__name__} "
                        f"{_short_repr(x)}" + (f" (for one input, pass [{_short_repr(x)}])"
                                               if nin == 1 or isinstance(x, Value) else ""))
    batch = len(x) > 0 and isinstance(x[0], (list, tuple))
    hint = "; it takes one example: for a batch, call it on each, [model(x) for x in batch]" if batch else ""
    if len(x) != nin:
        raise ValueError(f"{where}: expected {nin} inputs, got {len(x)}{hint}")
    if batch:
        raise TypeError(f"{where}: input 0 is a {type(x[0]).__name__}, not a number{hint}")


def _parameter(x, where):
    """A given Value is used as is (so it can be shared); a number becomes a new Value."""
    return x if isinstance(x, Value) else Value(_check_number(x, where, "an int, float or Value"))


class Neuron(Module):
    """One unit: ``activation(w . x + b)``.

    `nin`: number of inputs; `activation`: 'tanh', 'sigmoid', 'relu' or 'linear'. `weights` (a sequence of
    `nin` numbers or Values) and `bias` (a number or Value) set the parameters explicitly, e.g. to rebuild a
    published network; a Value passed in is used as is, so units can share it. Otherwise they are drawn from
    U(-1/sqrt(nin), 1/sqrt(nin)) with `rng` (None, an int seed or a ``random.Random``).
    Parameters: ``w`` (list of `nin` Values) and ``b`` (a Value), named ``w.0 .. w.{nin-1}`` and ``b``.
    Raises TypeError for an argument of the wrong type and ValueError for a wrong value or length, each
    naming the class, the argument and what was expected (e.g. ``Neuron weights: expected a list of 2
    numbers or Values, got int 5``).
    """

    def __init__(self, nin, activation="tanh", *, weights=None, bias=None, rng=None):
        self.nin = _check_size(nin, "Neuron nin")
        _check_count(nin + 1, f"Neuron(nin={_short_repr(nin)})")
        self.activation = _activation(activation, "Neuron activation")
        self._act = ACTIVATIONS[self.activation]
        w = None if weights is None else _weight_row(weights, nin, "Neuron weights")
        b = None if bias is None else _parameter(bias, "Neuron bias")
        source = _make_rng(rng, "Neuron")  # checked even when both are given
        bound = 1.0 / math.sqrt(nin)
        self.w = [Value(source.uniform(-bound, bound)) for _ in range(nin)] if w is None else w
        self.b = Value(source.uniform(-bound, bound)) if b is None else b

    def __call__(self, x):
        """`x`: a sequence of `nin` Values or numbers -> one Value. Raises ValueError on a wrong length,
        TypeError for a non-sequence (a single Value included)."""
        _check_input(x, self.nin, "Neuron")
        return self._forward(_values(x, "Neuron input"))

    def _forward(self, x, xd=None):
        """`x`: a list of `nin` Values, unchecked (a Layer checks and converts its input once, and passes
        their data as `xd`)."""
        out = _dot(self.w, x, self.b, xd)
        return out if self._act is None else self._act(out)

    def _named_parameters(self, prefix):
        for i, w in enumerate(self.w):
            yield f"{prefix}w.{i}", w
        yield f"{prefix}b", self.b

    def __repr__(self):
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs; returns a list of `nout` Values (also when nout is 1).

    `weights`: optional `nout` rows of `nin` numbers/Values (row j feeds neuron j); `biases`: optional
    `nout` numbers/Values. Parameters are named ``neurons.{j}.w.{i}`` and ``neurons.{j}.b``.
    """

    def __init__(self, nin, nout, activation="tanh", *, weights=None, biases=None, rng=None):
        self.nin = _check_size(nin, "Layer nin")
        self.nout = _check_size(nout, "Layer nout")
        _check_count(nout * (nin + 1), f"Layer(nin={_short_repr(nin)}, nout={_short_repr(nout)})")
        self.activation = _activation(activation, "Layer activation")
        weights = _weight_rows(weights, nout, nin, "Layer weights")
        biases = _bias_list(biases, nout, "Layer biases")
        source = _make_rng(rng, "Layer")
        self.neurons = [Neuron(nin, activation, weights=weights[j], bias=biases[j], rng=source)
                        for j in range(nout)]

    def __call__(self, x):
        """`x`: a sequence of `nin` Values or numbers -> a list of `nout` Values. Raises as `Neuron`."""
        _check_input(x, self.nin, "Layer")
        # Once for all the neurons: numbers become constant leaves, and the inputs' data is read, once.
        x = _values(x, "Layer input")
        xd = [v.data for v in x]
        return [n._forward(x, xd) for n in self.neurons]

    def _named_parameters(self, prefix):
        for j, n in enumerate(self.neurons):
            yield from n._named_parameters(f"{prefix}neurons.{j}.")

    def __repr__(self):
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multilayer perceptron: ``nin -> nouts[0] -> ... -> nouts[-1]``.

    Hidden layers use `activation` (default 'tanh'); the last layer uses `output_activation` (None means
    linear, i.e. raw outputs for a loss such as `cross_entropy`). `weights` / `biases`: optional per-layer
    lists in `Layer`'s format. Calling it returns a list of ``nouts[-1]`` Values. Parameters are named
    ``layers.{l}.neurons.{j}.w.{i}`` and ``layers.{l}.neurons.{j}.b``.
    Raises TypeError when `nin` or a width is not an int or `nouts` is not a list (``MLP(2, 3)``), and
    ValueError for a width below 1 or a model of more than `MAX_PARAMETERS` parameters (checked before
    any is allocated; `Neuron`, `Layer` and `Embedding` check their own counts the same way).
    """

    def __init__(self, nin, nouts, activation="tanh", output_activation=None, *,
                 weights=None, biases=None, rng=None):
        _check_size(nin, "MLP nin")
        activation = _activation(activation, "MLP activation")  # checked even when no hidden layer uses it
        output_activation = _activation(output_activation, "MLP output_activation")
        if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__iter__"):
            hint = f" (for one layer of {nouts} outputs, pass [{nouts}])" if isinstance(nouts, int) else ""
            raise TypeError(f"MLP nouts: expected a list of layer widths such as [16, 1], got "
                            f"{type(nouts).__name__} {_short_repr(nouts)}{hint}")
        nouts = list(nouts)
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer width")
        for i, n in enumerate(nouts):
            _check_size(n, f"MLP nouts[{i}]")
        sizes = [nin] + nouts
        _check_count(sum(a * b + b for a, b in zip(sizes, nouts)),
                     f"MLP(nin={_short_repr(nin)}, nouts={_short_repr(nouts)})")
        layers = len(nouts)
        if weights is not None:
            weights = _list_argument(weights, layers, "MLP weights", f"a list of {layers} layers' weights")
        if biases is not None:
            biases = _list_argument(biases, layers, "MLP biases", f"a list of {layers} layers' biases")
        # Checked here, so an error names MLP and the layer; None for a layer: drawn at random.
        weights = [None if weights is None or weights[i] is None
                   else _weight_rows(weights[i], nouts[i], sizes[i], f"MLP weights[{i}]") for i in range(layers)]
        biases = [None if biases is None or biases[i] is None
                  else _bias_list(biases[i], nouts[i], f"MLP biases[{i}]") for i in range(layers)]
        source = _make_rng(rng, "MLP")
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation,
                  weights=weights[i], biases=biases[i], rng=source)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        """`x`: a sequence of `nin` Values or numbers -> a list of ``nouts[-1]`` Values. A wrong length
        raises ValueError, a non-sequence or a batch (a list of lists) TypeError."""
        _check_input(x, self.layers[0].nin, "MLP")
        for layer in self.layers:
            x = layer(x)
        return x

    def _named_parameters(self, prefix):
        for i, layer in enumerate(self.layers):
            yield from layer._named_parameters(f"{prefix}layers.{i}.")

    def __repr__(self):
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"MLP([{inner}])"


class Embedding(Module):
    """A lookup table of `num_embeddings` rows, each a list of `embedding_dim` Values (``C`` in the
    makemore notes). Initialised from N(0, 1) as ``torch.nn.Embedding``, or from `weights` (rows of numbers).

    ``emb(i)`` returns row i as a new list of the table's own Values (not copies), so a row used several
    times receives every gradient contribution. ``emb.lookup(contexts)``: `contexts` is B lists of `block` indices; returns B
    lists of ``block * embedding_dim`` Values, each example's rows concatenated (``C[X]`` flattened per
    example). Parameters are named ``weight.{i}.{j}``. A non-integer index raises TypeError and an index
    outside [0, num_embeddings) raises IndexError, both naming the index and the table size.
    """

    def __init__(self, num_embeddings, embedding_dim, *, weights=None, rng=None):
        self.num_embeddings = _check_size(num_embeddings, "Embedding num_embeddings")
        self.embedding_dim = _check_size(embedding_dim, "Embedding embedding_dim")
        _check_count(num_embeddings * embedding_dim, f"Embedding(num_embeddings={_short_repr(num_embeddings)}, "
                                                     f"embedding_dim={_short_repr(embedding_dim)})")
        if weights is None:
            source = _make_rng(rng, "Embedding")
            self.weight = [[Value(source.gauss(0.0, 1.0)) for _ in range(embedding_dim)]
                           for _ in range(num_embeddings)]
        else:
            self.weight = _weight_rows(weights, num_embeddings, embedding_dim, "Embedding weights")

    def __call__(self, index):
        """Row `index`: a new list of `embedding_dim` Values, the table's own (so gradients reach the table,
        and extending the list, ``x += emb(1)``, leaves the table as it is)."""
        return list(self.weight[self._check_index(index, "Embedding:")])

    def lookup(self, contexts):
        """`contexts`: B sequences of `block` indices -> B flat lists of ``block * embedding_dim`` Values,
        example b being ``emb(contexts[b][0]) + emb(contexts[b][1]) + ...``. An error names the example and
        position of the bad index; a flat list of ints (one context, not a batch) raises TypeError."""
        out = []
        for b, context in enumerate(contexts):
            if isinstance(context, (str, bytes)) or not hasattr(context, "__iter__"):
                raise TypeError(f"Embedding.lookup: contexts must be B sequences of indices; example {b} is "
                                f"{type(context).__name__} {context!r} (for one context, pass [context])")
            row = []
            for pos, i in enumerate(context):
                row.extend(self.weight[self._check_index(i, f"Embedding.lookup: example {b}, position {pos}:")])
            out.append(row)
        return out

    def one_hot_lookup(self, one_hots):
        """The rows that `one_hots` select, as dots: `one_hots` is `block` lists of `num_embeddings` numbers or
        Values (one 1 and zeros each) -> a flat list of ``block * embedding_dim`` Values, entry j of position
        k being ``Value.dot(column j of the table, one_hots[k])``: the same numbers and gradients as
        ``lookup([indices])[0]``, but a graph that does not depend on which rows are chosen, so
        ``compile(..., batch=True)`` can run one over a batch of contexts. Raises ValueError when a one-hot
        row's length is not `num_embeddings`."""
        columns = [[row[j] for row in self.weight] for j in range(self.embedding_dim)]
        out = []
        for k, one_hot in enumerate(one_hots):
            if len(one_hot) != self.num_embeddings:
                raise ValueError(f"Embedding.one_hot_lookup: one_hots[{k}] has {len(one_hot)} entries, expected "
                                 f"{self.num_embeddings}")
            out += [Value.dot(column, one_hot) for column in columns]
        return out

    def _check_index(self, index, where):
        # numbers.Integral takes numpy's ints too; bool is an int to Python but never an index here.
        if not isinstance(index, Integral) or isinstance(index, bool):
            raise TypeError(f"{where} index must be an int, got {type(index).__name__} {index!r} "
                            f"(table of {self.num_embeddings} rows)")
        if not 0 <= index < self.num_embeddings:
            raise IndexError(f"{where} index {index} out of range for a table of {self.num_embeddings} rows")
        return int(index)

    def _named_parameters(self, prefix):
        for i, row in enumerate(self.weight):
            for j, v in enumerate(row):
                yield f"{prefix}weight.{i}.{j}", v

    def __repr__(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"
