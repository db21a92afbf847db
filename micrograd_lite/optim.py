"""Optimizers. `SGD` follows ``torch.optim.SGD``: with momentum mu, v <- mu v + grad; p <- p - lr v."""

from .checks import check_number as _check_number
from .engine import Value

__all__ = ["SGD"]


class SGD:
    """Stochastic gradient descent, optionally with momentum.

    `params`: an iterable of Values (e.g. ``model.parameters()``; a Value listed twice is updated once);
    `lr`: learning rate (a number >= 0); `momentum`: a number in [0, 1). Raises TypeError for a
    non-Value parameter or a non-numeric lr/momentum, ValueError for an empty list or out-of-range numbers.
    """

    def __init__(self, params, lr, momentum=0.0):
        params = list(dict.fromkeys(params))  # drop repeats, keep order (Values hash by identity)
        for p in params:
            if not isinstance(p, Value):
                raise TypeError(f"SGD: parameters must be Values, got {type(p).__name__} {p!r}")
        if not params:
            raise ValueError("SGD: got an empty parameter list")
        lr = _check_number(lr, "SGD lr")
        momentum = _check_number(momentum, "SGD momentum")
        if not lr >= 0.0:
            raise ValueError(f"SGD: lr must be >= 0, got {lr!r}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity = [0.0] * len(params)

    def step(self):
        """Move every parameter against its gradient: ``p.data -= lr * v``."""
        lr, mu = self.lr, self.momentum
        if mu == 0.0:
            for p in self.params:
                p.data -= lr * p.grad
            return
        v = self.velocity
        for i, p in enumerate(self.params):
            v[i] = mu * v[i] + p.grad
            p.data -= lr * v[i]

    def zero_grad(self):
        """Set the ``grad`` of every parameter to 0.0."""
        for p in self.params:
            p.grad = 0.0
