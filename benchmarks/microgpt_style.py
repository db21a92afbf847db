"""A microgpt-style engine and GPT step: the published design that `benchmarks.gpt_step` times ours against.

A. Karpathy's *microgpt* (February 2026) trains its GPT on a scalar autograd class whose design is: each node
stores its data, its grad, a tuple of its children and a tuple of the *local gradients* (d node / d child,
computed in the forward pass), no closure; ``backward()`` orders the graph by a recursive depth-first
topological sort and, in reverse order, adds ``local_grad * node.grad`` to each child. Every op is binary or
unary (a sum of n terms is n - 1 additions, a dot product n multiplications and n - 1 additions), so its GPT
builds about 60,000 nodes per name.

This module is our own small rendering of that published design, written for this benchmark (not a copy of
microgpt's file): `Value` with the ops microgpt's model needs, and `MicroGPT`, the same model as
`demos.gpt.GPT` written in the same style (``sum`` over generator expressions, softmax as exp / sum, the loss
as ``-log p[target]``), loading its weights from a `demos.gpt.GPT` so both engines compute the same loss.
Not part of the library: only the benchmarks and their tests import it.
"""

import math

__all__ = ["Value", "MicroGPT", "adam_step"]


class Value:
    """A scalar node of the published design: ``data``, ``grad``, ``_children`` and ``_local_grads``."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k):  # k a number
        return Value(self.data ** k, (self,), (k * self.data ** (k - 1),))

    def log(self):
        return Value(math.log(self.data), (self,), (1 / self.data,))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,))

    def relu(self):
        return Value(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1

    def backward(self):
        """Recursive topological sort, then the chain rule with the stored local gradients."""
        topo, visited = [], set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            for child, local_grad in zip(v._children, v._local_grads):
                child.grad += local_grad * v.grad


def linear(x, w):
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def softmax(logits):
    m = max(v.data for v in logits)
    exps = [(v - m).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x):
    ms = sum(xi * xi for xi in x) / len(x)
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


class MicroGPT:
    """`demos.gpt.GPT`'s model in the published style, with a copy of `model`'s weights (``sd``: the same
    names, rows of this module's Values)."""

    def __init__(self, model):
        self.n_layer, self.n_head, self.n_embd = model.n_layer, model.n_head, model.n_embd
        self.sd = {name: [[Value(v.data) for v in row] for row in rows] for name, rows in model.sd.items()}
        self.params = [p for rows in self.sd.values() for row in rows for p in row]

    def forward(self, token, pos, keys, values):
        sd, hd = self.sd, self.n_embd // self.n_head
        x = rmsnorm([t + p for t, p in zip(sd["wte"][token], sd["wpe"][pos])])
        for i in range(self.n_layer):
            w = f"layer{i}."
            r = x
            x = rmsnorm(x)
            q = linear(x, sd[w + "attn_wq"])
            keys[i].append(linear(x, sd[w + "attn_wk"]))
            values[i].append(linear(x, sd[w + "attn_wv"]))
            heads = []
            for h in range(self.n_head):
                lo = h * hd
                q_h = q[lo:lo + hd]
                k_h = [k[lo:lo + hd] for k in keys[i]]
                v_h = [v[lo:lo + hd] for v in values[i]]
                logits = [sum(q_h[j] * k_h[t][j] for j in range(hd)) / hd ** 0.5 for t in range(len(k_h))]
                weights = softmax(logits)
                heads += [sum(weights[t] * v_h[t][j] for t in range(len(v_h))) for j in range(hd)]
            x = [a + b for a, b in zip(linear(heads, sd[w + "attn_wo"]), r)]
            r = x
            x = [h.relu() for h in linear(rmsnorm(x), sd[w + "mlp_fc1"])]
            x = [a + b for a, b in zip(linear(x, sd[w + "mlp_fc2"]), r)]
        return linear(x, sd["lm_head"])

    def loss(self, tokens):
        """The mean over positions of ``-log softmax(logits)[next token]``."""
        keys, values = [[] for _ in range(self.n_layer)], [[] for _ in range(self.n_layer)]
        n = len(tokens) - 1
        losses = []
        for pos in range(n):
            probs = softmax(self.forward(tokens[pos], pos, keys, values))
            losses.append(-probs[tokens[pos + 1]].log())
        return (1 / n) * sum(losses)


def adam_step(params, m, v, t, lr, beta1=0.85, beta2=0.99, eps=1e-8):
    """Adam on plain lists (`m`, `v` of len(params)), step number `t` from 1, then the grads reset to 0."""
    for i, p in enumerate(params):
        m[i] = beta1 * m[i] + (1 - beta1) * p.grad
        v[i] = beta2 * v[i] + (1 - beta2) * p.grad ** 2
        m_hat = m[i] / (1 - beta1 ** t)
        v_hat = v[i] / (1 - beta2 ** t)
        p.data -= lr * m_hat / (v_hat ** 0.5 + eps)
        p.grad = 0
