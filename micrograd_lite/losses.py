"""Loss functions and softmax over lists of Values.

`mse` is the notes' E_total (a sum of halves of squared errors, not PyTorch's mean); `softmax`,
`log_softmax` and `cross_entropy` subtract the largest logit before exponentiating and before taking
differences, as PyTorch does, so they keep float64's digits at any scale of logits.
"""

import operator

from .checks import check_number, short_repr
from .engine import Value, _values

__all__ = ["mse", "softmax", "log_softmax", "cross_entropy"]


def mse(outputs, targets):
    """E_total = sum_i 1/2 (targets[i] - outputs[i])^2, the squared error of the backprop notes
    (M. Mazur, "A Step by Step Backpropagation Example", 2015). dE/d outputs[i] = outputs[i] - targets[i].

    `outputs`: a list of n Values; `targets`: a list of n numbers or Values. Returns one Value.
    Raises TypeError when either is not a list (a single Value or number included: wrap it, ``[y]``) or
    an item is not a number or Value, ValueError when the lengths differ or are 0."""
    outputs, targets = _sequence(outputs, "mse outputs"), _sequence(targets, "mse targets")
    if len(outputs) != len(targets):
        raise ValueError(f"mse: {len(outputs)} outputs but {len(targets)} targets; expected one target per output")
    if not outputs:
        raise ValueError("mse outputs: expected at least one output, got an empty list")
    for what, items in (("outputs", outputs), ("targets", targets)):
        for i, x in enumerate(items):
            if not isinstance(x, Value):
                check_number(x, f"mse {what}[{i}]", "a number or Value")
    return Value.sum([0.5 * (t - o) ** 2 for o, t in zip(outputs, targets)])


def _sequence(xs, where):
    """`xs` as a list; a single Value or number, a str or a non-iterable raises TypeError naming `where`."""
    if isinstance(xs, (Value, str, bytes)) or not hasattr(xs, "__iter__"):
        hint = f"; for one, pass [{short_repr(xs)}]" if isinstance(xs, (Value, int, float)) else ""
        raise TypeError(f"{where}: expected a list of numbers or Values, got {type(xs).__name__} "
                        f"{short_repr(xs)}{hint}")
    return list(xs)


def log_softmax(logits):
    """``(logits[i] - m) - log sum_j exp(logits[j] - m)``, m the largest logit: a list of C Values, the
    log-probabilities of a list of C logits (Values or numbers), computed as PyTorch does in float64: shifting
    before the sum and before subtracting keeps every digit at any scale (``[1e16, 1e16]`` gives ``log 1/2``
    twice, not ``[0, 0]``). Raises TypeError when `logits` is not a list of numbers or Values, ValueError for
    an empty list."""
    return _log_softmax(logits, "log_softmax")


def _log_softmax(logits, op):
    shifted = _shifted(logits, f"{op} logits")
    lse = Value.logsumexp(shifted)
    return [z - lse for z in shifted]


def softmax(logits):
    """``exp(logits[i]) / sum_j exp(logits[j])`` for a list of C logits: a list of C Values summing to 1,
    computed as ``exp(log_softmax(logits)[i])``, so no exponent exceeds 0. Raises as `log_softmax`."""
    return [z.exp() for z in _log_softmax(logits, "softmax")]


def _shifted(logits, op):
    """`logits` minus their largest value (a number: the result does not depend on it, so it gets no
    gradient), a list of Values whose largest is exactly 0."""
    values = _values(logits, op)
    if not values:
        raise ValueError(f"{op}: expected at least one logit, got an empty list")
    m = max([v.data for v in values])
    return [v - m for v in values]


def cross_entropy(logits, target, reduction="mean"):
    """Negative log-likelihood of the target class under ``softmax(logits)``, as ``torch.nn.functional.
    cross_entropy``: ``logsumexp(logits) - logits[target]``, with every logit first shifted by the largest
    (as in `log_softmax`), so the loss keeps its digits at any scale. Its gradient with respect to the logits is
    ``softmax(logits) - one_hot(target)``.

    Unbatched: `logits` a list of C Values/numbers, `target` a class index in [0, C) -> one Value.
    Batched: `logits` a list of B lists of C, `target` a sequence of B class indices -> the mean over the
    batch (``reduction='sum'``: the sum). As in PyTorch, a class index is any integer: an int, a numpy
    integer, a numpy array or tuple of them for a batch (anything ``operator.index`` accepts; bool and
    float are refused, numpy's bool too). Raises TypeError for logits that are not a list of numbers or
    Values or a batch of such lists (a row that is not a list, in a batch), for a target that is not a class
    index (or, batched, not a sequence of them), IndexError for one outside [0, C), ValueError for empty
    logits, rows of different lengths, mismatched batch sizes or an unknown reduction; each names
    cross_entropy and the argument."""
    if not isinstance(reduction, str) or reduction not in ("mean", "sum"):
        raise ValueError(f"cross_entropy reduction: expected 'mean' or 'sum', got {short_repr(reduction)}")
    if not _is_list(logits):
        raise TypeError(f"cross_entropy logits: expected a list of C numbers or Values, or a batch of B such "
                        f"lists, got {type(logits).__name__} {short_repr(logits)}")
    if len(logits) == 0:
        raise ValueError("cross_entropy logits: expected at least one logit, got an empty list")
    if _is_list(logits[0]):
        for b, row in enumerate(logits):
            if not _is_list(row):
                raise TypeError(f"cross_entropy logits[{b}]: logits is a batch (logits[0] is a list), so expected "
                                f"a list of {len(logits[0])} numbers or Values, got {type(row).__name__} "
                                f"{short_repr(row)}")
            if len(row) != len(logits[0]):
                raise ValueError(f"cross_entropy logits[{b}]: expected {len(logits[0])} logits, as logits[0] has, "
                                 f"got {len(row)}")
        target = _targets(target, len(logits))
        total = Value.sum([_one(row, t, f"logits[{b}]") for b, (row, t) in enumerate(zip(logits, target))])
        return total * (1.0 / len(logits)) if reduction == "mean" else total
    return _one(logits, _class_index(target, "target"), "logits")


def _is_list(xs):
    """Whether `xs` is list-like: indexable, with a length (a list, a tuple, a numpy array, not a str or dict)."""
    return (hasattr(xs, "__len__") and hasattr(xs, "__getitem__") and not isinstance(xs, (str, bytes, dict))
            and getattr(xs, "ndim", 1) != 0)


def _targets(target, rows):
    """A batch's targets as a list of `rows` ints."""
    try:
        n = None if isinstance(target, (str, bytes)) else len(target)
    except TypeError:  # no len(), e.g. an int or a 0-d array
        n = None
    if n is None:
        raise TypeError(f"cross_entropy: logits is a batch of {rows} rows, so target must be a sequence of {rows} "
                        f"class indices, got {type(target).__name__} {short_repr(target)}")
    if n != rows:
        raise ValueError(f"cross_entropy: {rows} rows of logits need {rows} targets, got {n}")
    return [_class_index(t, f"target[{b}]") for b, t in enumerate(target)]


def _is_bool(t):
    """Whether `t` is a boolean: Python's bool, or numpy's (``np.bool_``, named ``bool`` since numpy 2) or any
    array scalar of a boolean dtype (dtype kind 'b'), told by its type, so numpy is not imported: the core
    has no runtime dependency. Needed because numpy before 2.3 lets ``operator.index`` take ``np.bool_``."""
    if isinstance(t, bool):
        return True
    cls = type(t)
    if cls.__module__ == "numpy" and cls.__name__ in ("bool_", "bool"):
        return True
    return getattr(getattr(t, "dtype", None), "kind", None) == "b"


def _class_index(t, where):
    """`t` as an int: ints and int-likes (numpy integers, 0-d integer arrays) pass; bool (Python's or
    numpy's, on every numpy) and float do not."""
    if not _is_bool(t):  # an int to Python, but never a class index here
        try:
            return operator.index(t)
        except TypeError:
            pass
    hint = " (a class index, not one-hot or probabilities)" if isinstance(t, (list, tuple)) else ""
    raise TypeError(f"cross_entropy: {where} must be an int class index, got {type(t).__name__} {short_repr(t)}{hint}")


def _one(logits, target, where):
    if not 0 <= target < len(logits):
        raise IndexError(f"cross_entropy: target {target} out of range for {len(logits)} classes")
    shifted = _shifted(logits, f"cross_entropy {where}")
    return Value.logsumexp(shifted) - shifted[target]
