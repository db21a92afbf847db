"""Optimizers. `SGD` follows ``torch.optim.SGD``: with momentum mu, v <- mu v + grad; p <- p - lr v."""

from .checks import check_number, short_repr
from .engine import Value
from .nn import Module

__all__ = ["SGD"]


class SGD:
    """Stochastic gradient descent, optionally with momentum.

    `params`: an iterable of Values (e.g. ``model.parameters()``; a Value listed twice is updated once);
    `lr`: learning rate (a number >= 0); `momentum`: a number in [0, 1). Raises TypeError when `params`
    is not an iterable of Values (a model, its unbound ``parameters`` method or a single Value get a hint)
    or lr/momentum is not an int or float (a Value included), ValueError for an empty list or
    out-of-range numbers.
    """

    def __init__(self, params, lr, momentum=0.0):
        params = _parameter_list(params)
        lr = _hyperparameter(lr, "lr")
        momentum = _hyperparameter(momentum, "momentum")
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


def _parameter_list(params):
    """`params` as a list of distinct Values, in order; a clear TypeError for the usual mistakes."""
    expected = "SGD params: expected an iterable of Values such as model.parameters(), got"
    if isinstance(params, Module):
        raise TypeError(f"{expected} the model {type(params).__name__}; pass model.parameters()")
    if isinstance(params, Value):
        raise TypeError(f"{expected} a single {short_repr(params)}; pass a list: [v]")
    if callable(params):
        raise TypeError(f"{expected} {type(params).__name__} {short_repr(params)}; call it: model.parameters()")
    if isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
        raise TypeError(f"{expected} {type(params).__name__} {short_repr(params)}")
    params = list(params)
    for i, p in enumerate(params):  # before the dict below, which an unhashable item (a list) would break
        if not isinstance(p, Value):
            raise TypeError(f"SGD params: expected Values, but item {i} is {type(p).__name__} {short_repr(p)}")
    if not params:
        raise ValueError("SGD params: got an empty parameter list; expected Values such as model.parameters()")
    return list(dict.fromkeys(params))  # drop repeats, keep order (Values hash by identity)


def _hyperparameter(x, name):
    if isinstance(x, Value):
        raise TypeError(f"SGD {name}: expected an int or float, got {short_repr(x)}; a hyperparameter is not "
                        f"part of the graph: pass {name}={x.data!r}")
    return check_number(x, f"SGD {name}", "an int or float")
