"""Optimizers with PyTorch's update rules, for lists of `Value` parameters.

`SGD` follows ``torch.optim.SGD``: with momentum mu, v <- mu v + grad; p <- p - lr v. `Adam` and `AdamW` follow
``torch.optim.Adam`` and ``torch.optim.AdamW`` (D. P. Kingma and J. Ba, "Adam: A Method for Stochastic
Optimization", ICLR 2015; I. Loshchilov and F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), in
the order of operations of PyTorch's single-tensor implementation.

Besides Values, each takes a compiled batched step's `ParameterVector` (``[step.parameter_vector()]``): the same
rule applied to its whole ``.data`` vector at once, in place, with no per-parameter Python.
"""

import math

from .checks import check_number, short_repr
from .engine import Value
from .nn import Module

__all__ = ["SGD", "Adam", "AdamW"]


class SGD:
    """Stochastic gradient descent, optionally with momentum.

    `params`: an iterable of Values (e.g. ``model.parameters()``; a Value listed twice is updated once) or of
    `ParameterVector`s; `lr`: learning rate (a number >= 0); `momentum`: a number in [0, 1). Raises TypeError when
    `params` is not an iterable of Values (a model, its unbound ``parameters`` method or a single Value get a hint)
    or lr/momentum is not an int or float (a Value included), ValueError for an empty list or out-of-range numbers.
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


def _parameter_list(params, cls="SGD"):
    """`params` as a list of distinct Values, in order; a clear TypeError for the usual mistakes, naming the
    optimizer `cls`."""
    expected = f"{cls} params: expected an iterable of Values such as model.parameters(), got"
    if isinstance(params, Module):
        raise TypeError(f"{expected} the model {type(params).__name__}; pass model.parameters()")
    if isinstance(params, Value):
        raise TypeError(f"{expected} a single {short_repr(params)}; pass a list: [v]")
    if callable(params):
        raise TypeError(f"{expected} {type(params).__name__} {short_repr(params)}; call it: model.parameters()")
    if isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
        raise TypeError(f"{expected} {type(params).__name__} {short_repr(params)}")
    params = list(params)
    # Before the dict below, which an unhashable item (a list) would break. A compiled step's ParameterVector
    # (compiler.batched) is known by its class attribute `vector_parameter`: the compiler sits above this module.
    for i, p in enumerate(params):
        if not (isinstance(p, Value) or getattr(type(p), "vector_parameter", False)):
            raise TypeError(f"{cls} params: expected Values, but item {i} is {type(p).__name__} {short_repr(p)}")
    if not params:
        raise ValueError(f"{cls} params: got an empty parameter list; expected Values such as model.parameters()")
    return list(dict.fromkeys(params))  # drop repeats, keep order (Values hash by identity)


def _hyperparameter(x, name, cls="SGD"):
    """`x` as a float: TypeError naming the optimizer `cls` and the argument `name` for a Value or a non-number."""
    if isinstance(x, Value):
        raise TypeError(f"{cls} {name}: expected an int or float, got {short_repr(x)}; a hyperparameter is not "
                        f"part of the graph: pass {name}={x.data!r}")
    return check_number(x, f"{cls} {name}", "an int or float")


class Adam:
    """Adam, as ``torch.optim.Adam`` (amsgrad off): per parameter, with g its gradient and t the step count,

        g <- g + weight_decay * p                 (L2 regularisation, added to the gradient)
        m <- m + (1 - beta1) (g - m)              (= beta1 m + (1 - beta1) g)
        v <- beta2 v + (1 - beta2) g^2
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    with m and v starting at 0; eps is added after the square root of the bias-corrected v.

    `params`: an iterable of Values (e.g. ``model.parameters()``; a Value listed twice is updated once) or
    of `ParameterVector`s (each updated as a whole, elementwise); `lr`: learning rate, a number >= 0, which
    may be changed between steps (``opt.lr = ...``) for a schedule; `betas`: a pair (beta1, beta2), each in
    [0, 1); `eps`: a number >= 0; `weight_decay`: a number >= 0.
    Raises TypeError when `params` is not an iterable of Values or a hyperparameter is not an int or float (a
    Value included) or `betas` is not a pair, ValueError for an empty list or an out-of-range number; each
    message names the class and the argument. Setting `lr` checks it the same way.
    """

    _decoupled = False  # AdamW: weight decay applied to the parameter, not added to the gradient

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        cls = type(self).__name__
        params = _parameter_list(params, cls)
        self.lr = lr
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise TypeError(f"{cls} betas: expected a pair (beta1, beta2) such as (0.9, 0.999), got "
                            f"{type(betas).__name__} {short_repr(betas)}")
        beta1 = _hyperparameter(betas[0], "betas[0]", cls)
        beta2 = _hyperparameter(betas[1], "betas[1]", cls)
        for i, b in enumerate((beta1, beta2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{cls}: betas[{i}] must be in [0, 1), got {b!r}")
        eps = _hyperparameter(eps, "eps", cls)
        if not eps >= 0.0:
            raise ValueError(f"{cls}: eps must be >= 0, got {eps!r}")
        weight_decay = _hyperparameter(weight_decay, "weight_decay", cls)
        if not weight_decay >= 0.0:
            raise ValueError(f"{cls}: weight_decay must be >= 0, got {weight_decay!r}")
        self.params, self.betas, self.eps, self.weight_decay = params, (beta1, beta2), eps, weight_decay
        self.m = [0.0] * len(params)  # first moments (torch: exp_avg)
        self.v = [0.0] * len(params)  # second moments (torch: exp_avg_sq)
        self.t = 0  # steps taken (torch: state["step"])
        # the square root of each parameter's v: math.sqrt of a float, the array library's of a vector (both
        # correctly rounded, so a vector's update equals its Values' one by one)
        self._sqrt = [math.sqrt if isinstance(p, Value) else p.sqrt for p in params]

    @property
    def lr(self):
        """The learning rate of the next `step` (a float >= 0); set it between steps for a schedule."""
        return self._lr

    @lr.setter
    def lr(self, lr):
        cls = type(self).__name__
        lr = _hyperparameter(lr, "lr", cls)
        if not lr >= 0.0:
            raise ValueError(f"{cls}: lr must be >= 0, got {lr!r}")
        self._lr = lr

    def step(self):
        """Update every parameter from its ``grad`` by the rule in the class docstring; the step count t
        goes up by one."""
        self.t += 1
        lr, (beta1, beta2), eps, wd = self._lr, self.betas, self.eps, self.weight_decay
        step_size = lr / (1.0 - beta1 ** self.t)
        correction2_sqrt = math.sqrt(1.0 - beta2 ** self.t)
        decay = 1.0 - lr * wd  # AdamW's factor
        m, v, sqrt = self.m, self.v, self._sqrt
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0.0:
                if self._decoupled:
                    p.data *= decay
                else:
                    g = g + wd * p.data
            m[i] += (1.0 - beta1) * (g - m[i])
            v[i] = v[i] * beta2 + (1.0 - beta2) * g * g
            p.data -= step_size * m[i] / (sqrt[i](v[i]) / correction2_sqrt + eps)

    def zero_grad(self):
        """Set the ``grad`` of every parameter to 0.0."""
        for p in self.params:
            p.grad = 0.0


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: `Adam` with decoupled weight decay. Before the Adam update each
    parameter shrinks, ``p <- p - lr * weight_decay * p``, and the gradient is used as it is. Arguments and
    errors as `Adam`, except that `weight_decay` defaults to 0.01 (PyTorch's default)."""

    _decoupled = True

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps, weight_decay)
