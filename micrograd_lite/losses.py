"""Loss functions and softmax over lists of Values.

`mse` is the notes' E_total (a sum of halves of squared errors, not PyTorch's mean); `softmax`,
`log_softmax` and `cross_entropy` go through the fused, max-shifted `Value.logsumexp`, so logits of
+-1000 give a finite loss and gradient.
"""

from .engine import Value

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
    """``[logits[i] - logsumexp(logits)]``: a list of C Values, the log-probabilities of a list of C
    logits (Values or numbers). Raises ValueError for an empty list."""
    lse = Value.logsumexp(logits)
    return [z - lse for z in logits]


def softmax(logits):
    """``exp(logits[i]) / sum_j exp(logits[j])`` for a list of C logits: a list of C Values summing to 1,
    computed as ``exp(logits[i] - logsumexp(logits))`` so no exponent exceeds 0."""
    return [z.exp() for z in log_softmax(logits)]


def cross_entropy(logits, target, reduction="mean"):
    """Negative log-likelihood of the target class under ``softmax(logits)``, as ``torch.nn.functional.
    cross_entropy``: ``logsumexp(logits) - logits[target]``. Its gradient with respect to the logits is
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
    return Value.logsumexp(logits) - logits[target]
