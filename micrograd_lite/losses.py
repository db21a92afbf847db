"""Loss functions and softmax over lists of Values.

`mse` is the notes' E_total (a sum of halves of squared errors, not PyTorch's mean); `softmax`,
`log_softmax` and `cross_entropy` subtract the largest logit before exponentiating and before taking
differences, as PyTorch does, so they keep float64's digits at any scale of logits.
"""

from .engine import Value, _values

__all__ = ["mse", "softmax", "log_softmax", "cross_entropy"]


def mse(outputs, targets):
    """E_total = sum_i 1/2 (targets[i] - outputs[i])^2, the squared error of the backprop notes
    (M. Mazur, "A Step by Step Backpropagation Example", 2015). dE/d outputs[i] = outputs[i] - targets[i].

    `outputs`: a list of n Values; `targets`: a list of n numbers or Values. Returns one Value.
    Raises ValueError when the lengths differ or are 0."""
    outputs, targets = list(outputs), list(targets)
    if len(outputs) != len(targets):
        raise ValueError(f"mse: {len(outputs)} outputs but {len(targets)} targets")
    if not outputs:
        raise ValueError("mse: needs at least one output")
    return Value.sum([0.5 * (t - o) ** 2 for o, t in zip(outputs, targets)])


def log_softmax(logits):
    """``(logits[i] - m) - log sum_j exp(logits[j] - m)``, m the largest logit: a list of C Values, the
    log-probabilities of a list of C logits (Values or numbers), computed as PyTorch does in float64: shifting
    before the sum and before subtracting keeps every digit at any scale (``[1e16, 1e16]`` gives ``log 1/2``
    twice, not ``[0, 0]``). Raises ValueError for an empty list."""
    shifted = _shifted(logits, "log_softmax")
    lse = Value.logsumexp(shifted)
    return [z - lse for z in shifted]


def softmax(logits):
    """``exp(logits[i]) / sum_j exp(logits[j])`` for a list of C logits: a list of C Values summing to 1,
    computed as ``exp(log_softmax(logits)[i])``, so no exponent exceeds 0."""
    return [z.exp() for z in log_softmax(logits)]


def _shifted(logits, op):
    """`logits` minus their largest value (a number: the result does not depend on it, so it gets no
    gradient), a list of Values whose largest is exactly 0."""
    values = _values(logits, op)
    if not values:
        raise ValueError(f"{op}: needs at least one logit")
    m = max([v.data for v in values])
    return [v - m for v in values]


def cross_entropy(logits, target, reduction="mean"):
    """Negative log-likelihood of the target class under ``softmax(logits)``, as ``torch.nn.functional.
    cross_entropy``: ``logsumexp(logits) - logits[target]``, with every logit first shifted by the largest
    (as in `log_softmax`), so the loss keeps its digits at any scale. Its gradient with respect to the logits is
    ``softmax(logits) - one_hot(target)``.

    Unbatched: `logits` a list of C Values/numbers, `target` an int in [0, C) -> one Value.
    Batched: `logits` a list of B lists of C, `target` a list of B ints -> the mean over the batch
    (``reduction='sum'``: the sum). Raises TypeError for a non-int target, IndexError for one outside
    [0, C), ValueError for mismatched batch sizes or an unknown reduction."""
    if reduction not in ("mean", "sum"):
        raise ValueError(f"cross_entropy: reduction must be 'mean' or 'sum', got {reduction!r}")
    if logits and isinstance(logits[0], (list, tuple)):
        target = list(target) if isinstance(target, (list, tuple)) else target
        if not isinstance(target, list) or len(target) != len(logits):
            got = len(target) if isinstance(target, list) else type(target).__name__
            raise ValueError(f"cross_entropy: {len(logits)} rows of logits need {len(logits)} targets, got {got}")
        total = Value.sum([_one(row, t) for row, t in zip(logits, target)])
        return total * (1.0 / len(logits)) if reduction == "mean" else total
    return _one(logits, target)


def _one(logits, target):
    if not isinstance(target, int) or isinstance(target, bool):
        raise TypeError(f"cross_entropy: target must be an int class index, got {type(target).__name__} {target!r}")
    if not 0 <= target < len(logits):
        raise IndexError(f"cross_entropy: target {target} out of range for {len(logits)} classes")
    shifted = _shifted(logits, "cross_entropy")
    return Value.logsumexp(shifted) - shifted[target]
