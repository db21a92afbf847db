"""Batched execution: a traced graph run once over a batch, every node a column of a numpy array.

A batch of examples builds the *same* graph with different numbers, so the graph traced on one example
(`trace.trace`) is run over all B examples at once. Nodes are laid out in *blocks*, each a (B, k) array
(k nodes, one per column):

- the inputs: ``X``, (B, N), one column per number of one example's arguments (`flatten`'s order);
- a dot group: the `Value.dot` nodes of parameter weights (and bias) reading one same input list, e.g. a
  Layer's neurons: one matrix product ``x @ W.T + b``, W a view of a slice of the parameter vector;
- an elementwise group: one op (``tanh``, ``-``, ...) applied to nodes of earlier blocks, one vector op;
- a reduction (``sum``, ``logsumexp``, a dot of non-parameter weights): one column.

A node that does not depend on the example (it reads only parameters and constants: a weight penalty, a
norm, a constant times a parameter) is in a block of *one* row, computed once and broadcast against the B
rows of the blocks that read it; the gradient that flows back into it is summed over those B rows
(``sum_rows``). Parameters stay scalars: each is read once per step into ``p`` (a vector), and its gradient,
summed over the batch, is added to its ``.grad``. Each op's forward is its row's ``array`` source
(`ops.OPS`). The backward of an elementwise group is the engine's own closure run on
stand-ins named after the blocks (`rules.run_backward`, as the scalar compiler does); where the closure
branches on a number (relu, abs) the source uses ``where``. The backward of a dot group and of the
reductions is their matrix form (``grad_x = grad_h @ W``, ``grad_W = grad_h.T @ x``), *not* derived from the
closures: tests/test_compile_properties.py proves it agrees with the engine (loss and every gradient to
1e-12) on random graphs of every op, and tests/test_batched.py on the demo models.
"""

import ast
import builtins
from numbers import Real

from ..checks import short_repr
from ..engine import Value
from ..ops import OPS
from .codegen import needs_grad
from .rules import Accumulator, Branch, CompileError, Sym, explore, literal, run_backward, sym_log
from .trace import CONSTANT, OP, PARAMETER, trace

__all__ = ["compile_batched", "BatchedStep", "ParameterVector", "numpy_or_error"]

ELEMENTWISE = {name for name, row in OPS.items() if row.elementwise}


def numpy_or_error():
    """The numpy module, or CompileError naming the extra that installs it."""
    try:
        import numpy
    except ImportError:
        raise CompileError("compile(..., batch=True) needs numpy: pip install micrograd_lite[fast]") from None
    return numpy


class _Block:
    def __init__(self, name, kind, members, **info):
        self.name, self.kind, self.members, self.info = name, kind, members, info


class _Layout:
    """The blocks of a trace and, for every node, where its value is: (block, column) for a batch value,
    ('p', i) for a parameter, ('c', float) for a constant."""

    def __init__(self, t):
        self.t, self.blocks, self.where, self.consts = t, [], {}, {}
        self.param_index = {p: i for i, p in enumerate(t.params)}
        position = {v: i for i, v in enumerate(t.inputs)}
        # Nodes that do not depend on the example (a penalty on the weights, a constant times a parameter):
        # their blocks have one row, computed once and broadcast against the batch's B rows; their gradient
        # is summed over the rows that read them.
        self.static = set()
        for n in t.order:
            if t.kind[n] in (PARAMETER, CONSTANT) or (t.kind[n] == OP and all(p in self.static for p in n.parents)):
                self.static.add(n)
        self.X = _Block("X", "input", list(t.inputs))
        self.X.static, self.X.rows = False, "B"
        for v in t.inputs:
            self.where[v] = (self.X, position[v])
        for n in t.order:
            if t.kind[n] == PARAMETER:
                self.where[n] = ("p", self.param_index[n])
            elif t.kind[n] == CONSTANT:
                self.where[n] = ("c", n.data)
        groups = {}
        for n in t.order:
            if t.kind[n] != OP:
                continue
            key = self._key(n)
            if key is None:
                block = self._new("reduce", [n])
            elif key in groups:
                block = groups[key]
                block.members.append(n)
            else:
                block = groups[key] = self._new(key[0], [n])
            self.where[n] = (block, len(block.members) - 1)
        self._order_parameters()

    def _order_parameters(self):
        """Lay the parameter vector out so that each dot group's weights are one contiguous slice, row after
        row (its matrix is then a view, ``p[a:b].reshape(m, k)``, not a gather), and its biases the next
        slice: the groups in order, each taking the parameters no earlier group took; the rest after, in the
        trace's order. Sets `params` (the vector's order) and `param_index`."""
        order = []
        placed = set()
        for block in self.blocks:
            if block.kind != "dot":
                continue
            k = len(block.members[0].parents) // 2
            parts = [[q for n in block.members for q in n.parents[:k]]]
            if len(block.members[0].parents) > 2 * k:
                parts.append([n.parents[-1] for n in block.members])
            for part in parts:
                if len(set(part)) == len(part) and not placed.intersection(part):
                    order += part
                    placed.update(part)
        order += [q for q in self.t.params if q not in placed]
        self.params = order
        self.param_index = {q: i for i, q in enumerate(order)}
        for q in order:
            self.where[q] = ("p", self.param_index[q])

    def _new(self, kind, members):
        names = {"dot": "h", "reduce": "r"}
        block = _Block(f"{names.get(kind, 'e')}{len(self.blocks)}", kind, members)
        block.static = members[0] in self.static  # a group's members share their operands' blocks
        block.rows = "1" if block.static else "B"
        self.blocks.append(block)
        return block

    def _key(self, n):
        """The group `n` joins: dots of parameter weights on one input list; one op on the same blocks."""
        t = self.t
        if n.op == "dot":
            k = len(n.parents) // 2
            ws, xs, rest = n.parents[:k], n.parents[k:2 * k], n.parents[2 * k:]
            if k and all(t.kind[w] == PARAMETER for w in ws) and all(t.kind[b] == PARAMETER for b in rest):
                return ("dot", tuple(map(id, xs)), bool(rest), n in self.static)
            return None
        if n.op in ELEMENTWISE:
            return ("elementwise", n.op, n in self.static) + tuple(
                id(self.where[p][0]) if isinstance(self.where[p][0], _Block) else self.where[p][0]
                for p in n.parents)
        return None


class _Writer:
    """Writes the step's source from a `_Layout`."""

    def __init__(self, layout, np):
        self.L, self.np, self.lines, self.namespace, self.n_const = layout, np, [], {}, 0
        self.needed = needs_grad(layout.t)
        self.from_static = False  # whether the gradient being scattered has one row (an independent block's)
        self.started = set()  # blocks whose grad_ array exists in the lines written so far

    def start(self, block, lines):
        """Create ``grad_<block>`` (zeros) unless the lines written so far did."""
        if block not in self.started:
            lines.append(f"grad_{block.name} = zeros({block.rows}, {len(block.members)})")
            self.started.add(block)

    def const(self, value, prefix="I"):
        name = f"{prefix}{self.n_const}"
        self.n_const += 1
        self.namespace[name] = value
        return name

    def _view(self, index):
        """(start, end, shape text, transposed) when the vector positions `index` (an int array, a vector
        or an (m, k) matrix) are one contiguous slice, row after row (or column after column: transposed),
        else None."""
        np = self.np
        a = int(index.flat[0])
        span = a + np.arange(index.size)
        if index.ndim == 1:
            return (a, a + index.size, "", False) if np.array_equal(index, span) else None
        m, k = index.shape
        if np.array_equal(index, span.reshape(m, k)):
            return a, a + index.size, f".reshape({m}, {k})", False
        if np.array_equal(index.T, span.reshape(k, m)):
            return a, a + index.size, f".reshape({k}, {m}).T", True
        return None

    def param_matrix(self, index):
        """Source text of the parameters at `index` (see `_view`): a view of a slice where the positions
        are one, else a gather ``p[I]``."""
        view = self._view(index)
        if view is None:
            return f"p[{self.const(index)}]"
        a, b, shape, _ = view
        return f"p[{a}:{b}]{shape}"

    def param_add(self, index, grad):
        """A line adding `grad` (an array of `index`'s shape) to the gradient at `index`: into a slice where
        `param_matrix` reads one; where a parameter appears twice in `index` (a weight tied within one
        layer), an add_at that adds both contributions (``+=`` on a fancy index keeps only one)."""
        view = self._view(index)
        if view is not None:
            a, b, _, transposed = view
            flat = "" if index.ndim == 1 else ".T.ravel()" if transposed else ".ravel()"
            return f"pgrad[{a}:{b}] += ({grad}){flat}"
        values = index.ravel().tolist()
        name = self.const(index)
        if len(set(values)) == len(values):
            return f"pgrad[{name}] += {grad}"
        return f"add_at(pgrad, {name}, {grad})"

    def gather(self, nodes, rows="B"):
        """Source text of a (B, len(nodes)) array (or a broadcastable row or number) holding `nodes`' values;
        `rows`: the number of rows of a concatenation (``"1"`` when every node is example-independent)."""
        np = self.np
        kinds = [self.L.where[n][0] for n in nodes]
        if all(k == "c" for k in kinds):
            values = [self.L.where[n][1] for n in nodes]
            if len(set(map(repr, values))) == 1:
                return _num(values[0])
            return self.const(np.array(values), "K")
        if all(k == "p" for k in kinds):
            return self.param_matrix(np.array([self.L.where[n][1] for n in nodes]))
        parts = []
        for block, run in _runs([self.L.where[n] for n in nodes]):
            if block == "c":
                parts.append(_num(run[0]) if len(set(map(repr, run))) == 1 else self.const(np.array(run), "K"))
            elif block == "p":
                parts.append(self.param_matrix(np.array(run)))
            else:
                parts.append(_columns(block, run, self))
        return parts[0] if len(parts) == 1 else f"cat({rows}, {', '.join(parts)})"

    def scatter(self, grad, nodes, lines):
        """Lines adding `grad` ((B, len(nodes)), or broadcastable) into the gradients of `nodes`."""
        np = self.np
        col = 0
        runs = _runs([self.L.where[n] for n in nodes])
        if len(runs) > 1 and not _simple(grad):  # computed once, then split among the operands' blocks
            self.n_const += 1
            lines.append(f"g{self.n_const} = {grad}")
            grad = f"g{self.n_const}"
        for block, run in runs:
            width = len(run)
            if block not in ("c", "p") and block.kind == "input":
                col += width
                continue
            if not any(n in self.needed for n in nodes[col:col + width]):
                col += width
                continue
            part = grad if (col == 0 and width == len(nodes)) else f"cols({grad}, {col}, {col + width})"
            if block == "p":
                lines.append(self.param_add(np.array(run), f"rows({part})"))
            elif block != "c":
                if block.static and not self.from_static:  # read by every example: the B rows' gradients add up
                    part = f"sum_rows({part})"
                full = run == list(range(len(block.members)))
                if full and block not in self.started:  # the first term: assigned (a new array, or a copy)
                    how = "fresh" if _is_new_array(part) else "copied"
                    lines.append(f"grad_{block.name} = {how}({part}, {block.rows}, {width})")
                    self.started.add(block)
                    col += width
                    continue
                self.start(block, lines)
                if full:
                    lines.append(f"grad_{block.name} += {part}")
                elif len(set(run)) == len(run):
                    lines.append(f"grad_{block.name}[:, {_index_text(run, self)}] += {part}")
                else:
                    lines.append(f"add_at_columns(grad_{block.name}, {self.const(np.array(run))}, "
                                 f"expand({part}, {block.rows}, {width}))")
            col += width


def _num(x):
    text = literal(x)
    return f"({text})" if text.startswith("-") else text


def _runs(places):
    """Consecutive places of the same block: [(block, [column, ...])] (for 'p'/'c': indices/values)."""
    out = []
    for block, col in places:
        if out and out[-1][0] is block:
            out[-1][1].append(col)
        else:
            out.append((block, [col]))
    return out


def _index_text(run, writer):
    if run == list(range(run[0], run[0] + len(run))):
        return f"{run[0]}:{run[-1] + 1}"
    return writer.const(writer.np.array(run))


def _columns(block, run, writer):
    if run == list(range(len(block.members))):
        return block.name
    return f"{block.name}[:, {_index_text(run, writer)}]"


def generate_batched(layout, np, reduction):
    """(source, namespace constants) of ``step(p, X, need_grad)`` for a `_Layout`, p the parameters' values
    (a vector) and X the batch ((B, N)): (the B losses' mean or sum, a float; with `need_grad` its gradient
    with respect to p, a vector, else None)."""
    w = _Writer(layout, np)
    t = layout.t
    fwd, bwd = [], []
    operands = {}
    for block in layout.blocks:
        m = block.members
        if block.kind == "dot":
            k = len(m[0].parents) // 2
            x = w.gather(list(m[0].parents[k:2 * k]), block.rows)
            if block.static:  # parameters or constants: a row vector (one example's worth)
                x = f"expand({x}, 1, {k})"
            W = np.array([[layout.param_index[q] for q in n.parents[:k]] for n in m])
            bias = ""
            if len(m[0].parents) > 2 * k:
                b = np.array([layout.param_index[n.parents[-1]] for n in m])
                bias = f" + {w.param_matrix(b)}"
                block.info["b"] = b
            xin, wname = f"{block.name}_in", f"{block.name}_W"
            fwd.append(f"{xin} = {x}")
            fwd.append(f"{wname} = {w.param_matrix(W)}")
            fwd.append(f"{block.name} = {xin} @ {wname}.T{bias}")
            block.info.update(W=W, Wname=wname, x=xin, k=k)
        elif block.kind == "elementwise":
            ins = []
            for i in range(len(m[0].parents)):
                text = w.gather([n.parents[i] for n in m], block.rows)
                if not _simple(text):
                    fwd.append(f"{block.name}_a{i} = {text}")
                    text = f"{block.name}_a{i}"
                ins.append(text)
            operands[block] = ins
            value = _forward(m[0], ins)
            if block.static:  # operands that are numbers give a number: make it the block's one row
                value = f"expand({value}, 1, {len(m)})"
            fwd.append(f"{block.name} = {value}")
        else:
            n = m[0]
            fwd += _reduce_forward(block, n, w)
    root_block, root_col = layout.where[t.root]
    root = f"{root_block.name}[:, {root_col}:{root_col + 1}]"
    if root_block.static:  # the B losses are one number: the mean's gradient is its gradient, the sum's B times
        scale = "1.0" if reduction == "mean" else "float(B)"
    else:
        scale = "1.0 / B" if reduction == "mean" else "1.0"
    w.started.add(root_block)  # created before the backward lines, holding the loss's gradient
    for block in reversed(layout.blocks):
        if not any(n in w.needed for n in block.members):
            continue
        g = f"grad_{block.name}"
        lines = []
        w.start(block, lines)  # nothing flowed into it (a zero derivative): zeros
        m = block.members
        w.from_static = block.static
        if block.kind == "dot":
            k = block.info["k"]
            lines.append(w.param_add(block.info["W"], f"{g}.T @ {block.info['x']}"))
            if "b" in block.info:
                lines.append(w.param_add(block.info["b"], f"{g}.sum(0)"))
            xs = list(m[0].parents[k:2 * k])
            if any(x in w.needed for x in xs):
                w.scatter(f"{g} @ {block.info['Wname']}", xs, lines)
        elif block.kind == "elementwise":
            _elementwise_backward(block, operands[block], w, lines)
        else:
            _reduce_backward(block, m[0], w, lines)
        bwd.append(f"# backward of {block.name}")
        bwd += lines
    out = ["def step(p, X, need_grad):", "    B = X.shape[0]"]
    out += [f"    {s}" for s in fwd]
    out.append(f"    loss = expand({root}, B, 1)")
    out.append("    if not need_grad:")
    out.append(f"        return float(loss.{reduction}()), None")
    out.append(f"    grad_{root_block.name} = zeros({root_block.rows}, {len(root_block.members)})")
    out.append("    pgrad = zeros(len(p))")
    out.append(f"    grad_{root_block.name}[:, {root_col}] += {scale}")
    out += [f"    {s}" for s in bwd]
    out.append(f"    return float(loss.{reduction}()), pgrad")
    return "\n".join(out) + "\n", w.namespace


def _is_new_array(text):
    """Whether the source `text` computes a new array (its outermost operation is an arithmetic operator or a
    matrix product, which allocate their result) rather than possibly naming or viewing an existing one
    (``grad_e4``, ``cols(g, 0, 3)``, ``sum_rows(g)``): only a new array may become a block's gradient
    without a copy, as later lines add into it in place."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    return isinstance(tree, (ast.BinOp, ast.UnaryOp))


def _simple(text):
    return text.replace("_", "").replace(".", "").isalnum()


def _forward(n, a):
    return OPS[n.op].array.format(*a)  # the op's array source (ops.OPS)


def _elementwise_backward(block, ins, w, lines):
    n = block.members[0]
    index = {q: i for i, q in enumerate(n.parents)}
    g = f"grad_{block.name}"

    def number(q):
        if q is n:
            return Sym(block.name)
        return Sym(ins[index[q]])

    def run():
        # An operand is known by its position, not its node: in ``x * x`` both positions are one node, but in
        # other members of the group they may be two. The closure binds its operands in the parents' order.
        terms, position = [], iter(range(len(n.parents)))
        run_backward(n, Sym(g), lambda v: Accumulator(next(position), terms), number, {"log": sym_log})
        return terms
    tree = explore(run)
    for i in range(len(n.parents)):
        text = _term(tree, i)
        if text != "0.0":
            w.scatter(f"({text})", [m.parents[i] for m in block.members], lines)


def _term(tree, target):
    """The source of everything `tree` adds to operand position `target`: `where` where the closure
    branches."""
    if isinstance(tree, Branch):
        a, b = _term(tree.then, target), _term(tree.otherwise, target)
        if a == b == "0.0":
            return "0.0"
        return f"where({tree.cond}, {a}, {b})"
    text = "0.0"
    for q, sign, term in tree:
        if q == target:
            text = (term.text if sign == "+" else (-term).text) if text == "0.0" else f"{text} {sign} ({term.text})"
    return text


def _reduce_forward(block, n, w):
    """The lines computing a reduction block from its row's array source (`ops.OPS`), on a (rows, k) matrix."""
    name, R, array = block.name, block.rows, OPS[n.op].array
    if n.op in ("sum", "logsumexp"):
        k = len(n.parents)
        out = name if n.op == "sum" else f"{name}, {name}_es, {name}_s"  # logsumexp: its temporaries too
        return [f"{name}_in = {w.gather(list(n.parents), R)}",
                f"{out} = {array.format(f'expand({name}_in, {R}, {k})')}"]
    if n.op == "dot":
        k = len(n.parents) // 2
        lines = [f"{name}_w = {w.gather(list(n.parents[:k]), R)}",
                 f"{name}_x = {w.gather(list(n.parents[k:2 * k]), R)}"]
        total = array.format(f"expand({name}_w, {R}, {k})", f"{name}_x")
        if len(n.parents) > 2 * k:
            total += f" + {w.gather([n.parents[-1]], R)}"
        return lines + [f"{name} = {total}"]
    raise CompileError(f"compile(batch=True): no batched rule for op {n.op!r}")


def _reduce_backward(block, n, w, lines):
    g, name = f"grad_{block.name}", block.name
    if n.op == "sum":
        w.scatter(g, list(n.parents), lines)
    elif n.op == "logsumexp":
        w.scatter(f"{name}_es * ({g} / {name}_s)", list(n.parents), lines)
    else:  # dot
        k = len(n.parents) // 2
        w.scatter(f"{name}_x * {g}", list(n.parents[:k]), lines)
        w.scatter(f"{name}_w * {g}", list(n.parents[k:2 * k]), lines)
        if len(n.parents) > 2 * k:
            w.scatter(g, [n.parents[-1]], lines)


def _numpy_runtime(np, constants):
    """The names the generated code calls, on numpy arrays; `constants` (numpy arrays) as they are."""
    ndarray = np.ndarray

    def cat(B, *parts):
        return np.concatenate([q if type(q) is ndarray and q.ndim == 2 and q.shape[0] == B
                               else expand(q, B, np.shape(q)[-1] if np.ndim(q) else 1) for q in parts], axis=1)

    def expand(x, B, k):  # read only: x itself when it has the shape already (no code writes into it)
        if type(x) is ndarray and x.shape == (B, k):
            return x
        return np.broadcast_to(x, (B, k))

    def cols(g, a, b):
        if type(g) is ndarray:
            return g[..., a:b] if g.ndim and g.shape[-1] != 1 else g
        return g[..., a:b] if np.ndim(g) and np.shape(g)[-1] != 1 else g

    def rows(g):
        return g.sum(0) if np.ndim(g) == 2 else g

    def sum_rows(g):
        return g.sum(0, keepdims=True) if np.ndim(g) == 2 and np.shape(g)[0] != 1 else g

    def add_at_columns(grad, index, values):
        np.add.at(grad, (slice(None), index), values)

    def fresh(x, B, k):  # x: a new array (see _is_new_array); a (B, k) one of its own as it is
        if type(x) is np.ndarray and x.shape == (B, k) and x.base is None and x.dtype == np.float64:
            return x
        return copied(x, B, k)

    def copied(x, B, k):  # x broadcast to (B, k), a new array
        return np.array(np.broadcast_to(x, (B, k)), dtype=float)

    def sigmoid(x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))

    def logsumexp_rows(x):
        m = x.max(1, keepdims=True)
        es = np.exp(x - m)
        s = es.sum(1, keepdims=True)
        return np.where(np.isinf(m), m, m + np.log(s)), es, s

    def power_of(x, k):
        with np.errstate(divide="ignore", over="ignore"):
            return np.power(x, k)

    namespace = {
        "cat": cat, "expand": expand, "cols": cols, "rows": rows, "sum_rows": sum_rows, "add_at": np.add.at,
        "add_at_columns": add_at_columns, "zeros": lambda *shape: np.zeros(shape), "where": np.where, "fresh": fresh,
        "copied": copied,
        "absolute": np.abs, "rowsum": lambda x: x.sum(1, keepdims=True), "sigmoid": sigmoid,
        "logsumexp_rows": logsumexp_rows, "power_of": power_of, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
        "tanh": np.tanh, "inf": np.inf, "nan": np.nan}
    namespace.update(constants)
    return namespace, (lambda xs: np.array(xs, dtype=float)), (lambda X: X)


def _torch_runtime(torch, constants):
    """The same names on PyTorch float64 tensors, on the GPU when one is present."""
    device = "cuda" if torch.cuda.is_available() else "cpu"

    def tensor(x):
        return torch.as_tensor(x, dtype=torch.float64, device=device)

    def cat(B, *parts):
        return torch.cat([expand(q if torch.is_tensor(q) else tensor(q), B, q.shape[-1] if getattr(q, "ndim", 0) else 1)
                          for q in parts], dim=1)

    def expand(x, B, k):
        x = x if torch.is_tensor(x) else tensor(x)
        return x.expand(B, k)

    def cols(g, a, b):
        return g[..., a:b] if g.ndim and g.shape[-1] != 1 else g

    def rows(g):
        return g.sum(0) if g.ndim == 2 else g

    def sum_rows(g):
        return g.sum(0, keepdim=True) if g.ndim == 2 and g.shape[0] != 1 else g

    def add_at(target, index, values):
        target.index_put_((index,), torch.as_tensor(values, dtype=target.dtype).expand(index.shape).clone(),
                          accumulate=True)

    def add_at_columns(grad, index, values):
        grad.index_add_(1, index, values.contiguous())

    def fresh(x, B, k):  # as numpy's: a copy unless x is a (B, k) float64 tensor of its own
        if torch.is_tensor(x) and tuple(x.shape) == (B, k) and x._base is None and x.dtype == torch.float64:
            return x
        return expand(x, B, k).clone()

    def copied(x, B, k):
        return expand(x, B, k).clone()

    def where(cond, a, b):
        if not torch.is_tensor(cond):  # a condition on constants only (``k != 0.0`` of ``x ** 3``)
            return a if cond else b
        return torch.where(cond, a, b)

    def logsumexp_rows(x):
        m = x.max(1, keepdim=True).values
        es = torch.exp(x - m)
        s = es.sum(1, keepdim=True)
        return torch.where(torch.isinf(m), m, m + torch.log(s)), es, s

    namespace = {
        "cat": cat, "expand": expand, "cols": cols, "rows": rows, "sum_rows": sum_rows, "add_at": add_at,
        "add_at_columns": add_at_columns, "fresh": fresh, "copied": copied,
        "zeros": lambda *shape: torch.zeros(shape, dtype=torch.float64, device=device), "where": where,
        "absolute": torch.abs, "rowsum": lambda x: x.sum(1, keepdim=True), "sigmoid": torch.sigmoid,
        "logsumexp_rows": logsumexp_rows, "power_of": torch.pow, "exp": torch.exp, "log": torch.log,
        "sqrt": torch.sqrt, "tanh": torch.tanh, "inf": float("inf"), "nan": float("nan")}
    for name, value in constants.items():
        namespace[name] = torch.as_tensor(value, device=device)  # int64 indices stay int64, floats float64
    return namespace, tensor, tensor


def torch_or_error():
    """The torch module, or CompileError naming the extra that installs it."""
    try:
        import torch
    except ImportError:
        raise CompileError("compile(..., backend='torch') needs PyTorch: pip install micrograd_lite[torch]") from None
    return torch


def compile_batched(fn, example_args, reduction="mean", backend="numpy"):
    """See `compile` (``batch=True``)."""
    if reduction not in ("mean", "sum"):
        raise CompileError(f"compile: reduction must be 'mean' or 'sum', got {reduction!r}")
    if backend not in ("numpy", "torch"):
        raise CompileError(f"compile: backend must be 'numpy' or 'torch', got {backend!r}")
    np = numpy_or_error()
    runtime = (lambda constants: _torch_runtime(torch_or_error(), constants)) if backend == "torch" else (
        lambda constants: _numpy_runtime(np, constants))
    t = trace(fn, example_args)
    layout = _Layout(t)
    source, constants = generate_batched(layout, np, reduction)
    namespace, vector, to_backend = runtime(constants)
    exec(builtins.compile(source, f"<micrograd_lite.compile batch of {getattr(fn, '__name__', 'fn')}>", "exec"),
         namespace)
    return BatchedStep(t, layout.params, source, namespace["step"], np, len(layout.blocks), vector, to_backend,
                       backend)


class BatchedStep:
    """A compiled batched step (see `compile` with ``batch=True``): ``step(*batch)`` returns the mean (or
    sum) loss over the batch and adds its gradient to each parameter's ``.grad``; ``step.forward(*batch)``
    the loss only; ``step.source``; ``step.trace``; ``step.params``: the parameters (each once) in the order
    of the step's parameter vector (`loss_and_grad`, `parameter_vector`): each dot group's weights row after
    row, then its biases, so that the generated code reads a layer's matrix as a view; not necessarily the
    trace's order."""

    def __init__(self, trace, params, source, step, np, blocks, vector, to_backend, backend):
        self.trace, self.source, self.params, self.backend = trace, source, params, backend
        self._step, self._np, self._blocks = step, np, blocks
        self._vector, self._to_backend = vector, to_backend

    def __repr__(self):
        return (f"BatchedStep({self._blocks} blocks, {len(self.params)} parameters, {len(self.trace.inputs)} "
                f"inputs per example, {self.source.count(chr(10))} lines of source)")

    def _batch(self, args, where):
        """The batch as one (B, N) float array. `args`: one array per argument with a leading batch
        dimension, or one sequence of B argument tuples."""
        np = self._np
        n_args = len(self.trace.structure)
        if not args:
            raise CompileError(f"{where}: no arguments; expected {n_args} (one array each, batch first) or one "
                               f"sequence of example tuples")
        if len(args) == 1 and n_args > 1 or (len(args) == 1 and n_args == 1 and _is_tuples(args[0])):
            examples = args[0]
            try:
                columns = list(zip(*examples))
            except TypeError:
                raise CompileError(f"{where}: a batch is a sequence of argument tuples or one array per "
                                   f"argument, got {type(examples).__name__} {short_repr(examples)}") from None
            if len(columns) != n_args:
                raise CompileError(f"{where}: each example must be a tuple of {n_args} arguments")
            args = columns
        if len(args) != n_args:
            raise CompileError(f"{where}: {n_args} arguments expected (one array each, batch first), got {len(args)}")
        parts, B = [], None
        for i, (a, s) in enumerate(zip(args, self.trace.structure)):
            arr = _real_array(np, a, f"{where}: argument {i}")
            expected = _shape_of(s)
            if arr.ndim == 0 or arr.shape[1:] != expected:
                want = "(" + ", ".join(["B"] + [str(d) for d in expected]) + ("," if not expected else "") + ")"
                raise CompileError(f"{where}: argument {i} has shape {arr.shape}; expected {want} (a leading "
                                   f"batch dimension, then the example's shape)")
            if arr.shape[0] == 0:
                raise CompileError(f"{where}: the batch is empty")
            if B is None:
                B = arr.shape[0]
            elif arr.shape[0] != B:
                raise CompileError(f"{where}: argument {i} has a batch of {arr.shape[0]}, argument 0 of {B}")
            parts.append(arr.reshape(arr.shape[0], -1))
        return self._to_backend(np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0])

    def __call__(self, *batch, vector=None):
        """The mean (or sum) loss over the batch (a float). Without `vector`: at the parameters' ``.data``,
        its gradient added to each parameter's ``.grad``. With `vector` (this step's `parameter_vector`): at
        ``vector.data``, its gradient added to ``vector.grad``; no Value is read or written."""
        X = self._batch(batch, "step")
        if vector is not None:
            if not isinstance(vector, ParameterVector) or vector.step is not self:
                raise CompileError(f"step: vector must be this step's parameter_vector(), got "
                                   f"{type(vector).__name__} {short_repr(vector)}")
            loss, grad = self._step(vector.data, X, True)
            vector._grad += grad
            return loss
        loss, grad = self._step(self._vector([v.data for v in self.params]), X, True)
        for v, g in zip(self.params, grad.tolist()):
            v.grad += g
        return loss

    def parameter_vector(self):
        """The parameters' current ``.data`` as one `ParameterVector` (``.data`` and ``.grad``, numpy vectors
        of ``len(step.params)``, in `params`' order), for training without per-parameter Python:
        ``step(*batch, vector=v)`` and an optimizer over ``[v]`` (`SGD`, `Adam`, `AdamW`). The Values are
        not changed until ``v.write_back()``."""
        return ParameterVector(self)

    def forward(self, *batch):
        """The mean (or sum) loss over the batch (a float); no gradient."""
        return self._step(self._vector([v.data for v in self.params]), self._batch(batch, "step.forward"),
                          False)[0]

    def loss_and_grad(self, p, *batch):
        """``(loss, grad)`` at parameter values `p` (a numpy vector, one per `params`, in order) rather than
        the parameters' ``.data``: grad a new vector, nothing written to any Value. For training loops that
        keep the parameters in an array between steps (write them back to ``.data`` before using the model).
        Raises CompileError as ``step(...)``, and when `p` has the wrong length."""
        p = self._vector(p)
        if tuple(p.shape) != (len(self.params),):
            raise CompileError(f"step.loss_and_grad: p must be a vector of {len(self.params)} parameter values, "
                               f"got shape {tuple(p.shape)}")
        return self._step(p, self._batch(batch, "step.loss_and_grad"), True)


class ParameterVector:
    """A compiled batched step's parameters as one vector, in the manner of a PyTorch tensor with a gradient
    (and of ``torch.nn.utils.parameters_to_vector`` / ``vector_to_parameters``): made by
    ``step.parameter_vector()``, which copies the parameters' ``.data`` into ``.data`` (a numpy float vector,
    one entry per ``step.params``, in order) and starts ``.grad`` at zeros.

    ``step(*batch, vector=v)`` evaluates the step at ``v.data`` and adds its gradient to ``v.grad``; an
    optimizer given ``[v]`` (``SGD([v], lr=0.1)``, `Adam`, `AdamW`) updates ``v.data`` in place with the same
    rule, element by element, as it would each Value (tests/test_batched.py: equal to 1e-12 over many steps).

    Keeping the two in sync: the vector is a copy. Training changes only the vector; the Values (the model)
    keep the numbers they had until ``v.write_back()`` copies all of ``v.data`` into them at once (no Value
    is changed if ``v.data`` has the wrong shape, and none is left half-written); ``v.read()`` copies the
    Values' ``.data`` back into the vector (after editing or loading the model). Write back before using
    the model (evaluating it, saving it, calling ``step(...)`` without `vector`).

    ``v.grad = 0.0`` (an optimizer's ``zero_grad()``) fills the gradient with that number in place; setting
    it to an array copies the array in (CompileError for another shape)."""

    vector_parameter = True  # what the optimizers (optim, below the compiler) recognise it by

    def __init__(self, step):
        self.step = step
        self.data = step._vector([v.data for v in step.params])
        n = len(step.params)
        self._grad = step._np.zeros(n) if step.backend == "numpy" else self.data.new_zeros(n)
        self.sqrt = step._np.sqrt if step.backend == "numpy" else _torch_sqrt  # for Adam: correctly rounded

    @property
    def grad(self):
        """The accumulated gradient: a vector of ``len(step.params)`` floats."""
        return self._grad

    @grad.setter
    def grad(self, value):
        shape = tuple(getattr(value, "shape", ()))
        if shape not in ((), tuple(self._grad.shape)):
            raise CompileError(f"ParameterVector.grad: expected a number or a vector of {len(self._grad)} "
                               f"values, got shape {shape}")
        self._grad[...] = value

    def write_back(self):
        """Copy ``.data`` into the parameters' ``.data`` (all of them, in one pass over a list made first)."""
        values = self.data.tolist()
        if len(values) != len(self.step.params) or any(isinstance(x, list) for x in values[:1]):
            raise CompileError(f"ParameterVector.write_back: .data must be a vector of {len(self.step.params)} "
                               f"values, got shape {tuple(self.data.shape)}; no parameter was changed")
        for v, x in zip(self.step.params, values):
            v.data = x

    def read(self):
        """Copy the parameters' current ``.data`` into ``.data`` (in place)."""
        self.data[...] = self.step._vector([v.data for v in self.step.params])

    def __repr__(self):
        return f"ParameterVector({len(self.step.params)} parameters)"


def _torch_sqrt(x):
    import torch
    return torch.sqrt(x)


def _real_array(np, a, what):
    """`a` as a float array, or CompileError (`what` names the argument) for anything that is not real
    numbers: None, complex numbers, strings, Values, objects, lists of different lengths, bools (as `flatten`
    refuses them), rather than numpy's silent NaN or dropped imaginary part."""
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as e:  # lists of different lengths (numpy >= 1.24)
        why = "its lists have different lengths" if "inhomogeneous" in str(e) else str(e)
        raise CompileError(f"{what} is not an array of numbers: {why}") from None
    if arr.dtype.kind in "iuf":
        return arr.astype(float, copy=False)
    if arr.dtype.kind == "O":  # find what numpy could not read as a number, to name it
        for item in arr.ravel().tolist():
            if not (isinstance(item, Real) and not isinstance(item, bool)):
                hint = " (pass its .data)" if isinstance(item, Value) else ""
                if isinstance(item, (list, tuple)):
                    raise CompileError(f"{what} is not an array of numbers: its lists have different lengths")
                raise CompileError(f"{what} must hold real numbers, got {type(item).__name__} "
                                   f"{short_repr(item)}{hint}")
        return arr.astype(float)
    kinds = {"c": "complex numbers", "b": "bools", "U": "strings", "S": "bytes", "M": "dates", "m": "durations"}
    raise CompileError(f"{what} must hold real numbers, got {kinds.get(arr.dtype.kind, arr.dtype.name)} "
                       f"({short_repr(a)})")


def _is_tuples(x):
    try:
        first = x[0]
    except (TypeError, IndexError, KeyError):
        return False
    return isinstance(first, tuple)


def _shape_of(s):
    """The numpy shape of one argument with structure `s` (a number: (); a list of n numbers: (n,); ...).
    Raises CompileError for a ragged argument, which has no array shape."""
    if s is None:
        return ()
    inner = {_shape_of(x) for x in s}
    if len(inner) > 1:
        raise CompileError("compile(batch=True): an argument of lists of different lengths has no array shape")
    return (len(s),) + (inner.pop() if inner else ())
