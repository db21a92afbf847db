"""Code generation: a `Trace` as Python source, one statement per op forward and per chain-rule term backward.

Forward statements come from `FORWARD` (one template per op; they compute the engine's floats exactly).
Backward statements are the engine's own closures run on `rules.Sym` stand-ins, in the order ``backward()``
runs them, so the generated gradient is the engine's gradient, term for term.
"""

import math
import re
import sys

from ..explain import on_paths
from ..ops import OPS
from .names import grad_name, label_comment, temporary
from .rules import Accumulator, Branch, CompileError, Sym, explore, literal, run_backward, sym_log
from .trace import CONSTANT, INPUT, OP, PARAMETER

__all__ = ["forward_statements", "backward_statements", "generate"]

# Python 3.12's sum() of floats is compensated (exact to the last bit), not left to right like ``a + b + c``:
# from 3.12 on, the code calls sum() as the engine does. Before, ``a + b + c`` is the engine's sum() and reads
# as the notes write it; but it nests one level per term, and compiling a few thousand levels overflows the
# parser's stack there, so a long sum calls sum() on a flat tuple (the same floats, left to right).
_SUM_CALL = sys.version_info >= (3, 12)
_LONG_SUM = 100
_SHORT_COMMENT = 100  # a longer forward line (a dot of many weights) is named, not quoted, in the step's comments


def _sum(terms):
    if _SUM_CALL or len(terms) > _LONG_SUM:
        return f"sum(({', '.join(terms)},), 0.0)"
    return " + ".join(terms)


def _forward(node, a, n):
    """The right-hand side computing `node` from its operands' texts `a` (`n`: a dot's number of weights):
    its row's ``scalar`` source (`ops.OPS`), but for a few forms that read better or nest less."""
    op = node.op
    if op == "**":
        k = node.parents[1]
        if not k.parents and a[1] == literal(k.data) and math.isfinite(k.data) and k.data == int(k.data):
            return f"{a[0]} ** {a[1]}"  # an integer power: never complex, so no need for power()
    if op == "sum":
        return _sum(a)
    if op == "dot":
        products = [f"{w} * {x}" for w, x in zip(a[:n], a[n:2 * n])] or ["0.0"]
        if _SUM_CALL or n > _LONG_SUM:
            return _sum(products) + "".join(f" + {b}" for b in a[2 * n:])
        return " + ".join(products + a[2 * n:])
    row = OPS.get(op)
    if row is None or row.arity is None:
        raise CompileError(f"compile: no forward rule for op {op!r}")  # trace() refuses unknown ops first
    return row.scalar.format(*a)


def _operand(node, trace):
    if trace.kind[node] == CONSTANT and node.label is None:
        text = literal(node.data)
        return f"({text})" if text.startswith("-") else text
    return trace.names[node]


def forward_statements(trace):
    """[(node, statement)] for every op node of `trace`, in order: ``out_h1 = sigmoid(net_h1)``."""
    out = []
    for node in trace.order:
        if trace.kind[node] != OP:
            continue
        a = [_operand(p, trace) for p in node.parents]
        name = trace.names[node]
        if node.op == "logsumexp":
            es, s = temporary(name, "es"), temporary(name, "s")
            out.append((node, f"{name}, {es}, {s} = logsumexp(({', '.join(a)},))"))
        else:
            out.append((node, f"{name} = {_forward(node, a, len(a) // 2)}"))
    return out


def needs_grad(trace):
    """The nodes whose gradient the step needs: those on a path from a parameter to the root."""
    return on_paths(trace.order, trace.params)


def backward_terms(node, trace, needed, templates=None, gname=None):
    """`node`'s chain-rule terms, from its closure run on stand-ins: a list of (operand, '+' or '-', Sym),
    or a `rules.Branch` where the closure branches on a number.

    `templates` (a dict, shared across the nodes of one graph): the closure is run once per *signature*
    (its code, operand count, which operands are the same node, which need a gradient, the unlabelled
    constants among them, whose values are written into the terms) on placeholder stand-ins (``{g}`` the upstream gradient, ``{o}`` the node's
    value, ``{p3}`` operand 3's, ``{es3}``, ``{s}`` logsumexp's temporaries); every other node with that
    signature gets the same terms with its own names filled in. The closure alone decides the terms; the
    cache only saves running it again on different names."""
    tree = _cached_template(node, trace, needed, templates)
    return _fill(tree, _Fill(node, trace.names, gname or _grad_of(trace.names)), node.parents)


class _Fill(dict):
    """The names a template's placeholders stand for at `node` (a mapping for ``str.format_map``)."""

    def __init__(self, node, names, gname):
        super().__init__(g=gname(node), o=names[node])
        self.node, self.names = node, names

    def __missing__(self, key):
        n = self.names[self.node]
        if key == "s":
            return temporary(n, "s")
        if key.startswith("es"):
            return f"{temporary(n, 'es')}[{int(key[2:])}]"
        return self.names[self.node.parents[int(key[1:])]]  # "p3": operand 3


def _grad_of(names):
    return lambda node: grad_name(names[node])


def _cached_template(node, trace, needed, templates):
    """`node`'s template (see `backward_terms`), from `templates` when a node of its signature ran before."""
    kind, ps = trace.kind, node.parents
    first = {}
    key = (node._backward.__code__, len(ps),
           tuple(first.setdefault(p, i) for i, p in enumerate(ps)),  # which operands are one node (x * x)
           tuple(p in needed for p in ps),
           tuple(literal(p.data) if kind[p] == CONSTANT and p.label is None else None for p in ps))
    tree = None if templates is None else templates.get(key)
    if tree is None:
        tree = _template(node, trace, needed)
        if templates is not None:
            templates[key] = tree
    return tree


def _template(node, trace, needed):
    """The terms of `node`'s closure on placeholders (see `backward_terms`): targets are operand positions."""
    ps, kind = node.parents, trace.kind
    first = {}
    for i, p in enumerate(ps):
        first.setdefault(p, i)  # a shared operand: one placeholder, whichever position reads it

    def number(q):
        if isinstance(q, tuple):  # logsumexp's temporaries
            what, _ = q
            return [Sym(f"{{es{i}}}") for i in range(len(ps))] if what == "es" else Sym("{s}")
        if q is node:
            return Sym("{o}")
        if kind[q] == CONSTANT and q.label is None:
            return q.data
        return Sym(f"{{p{first[q]}}}")

    def run():
        terms = []
        run_backward(node, Sym("{g}"), lambda v: Accumulator(first[v] if v in needed else None, terms),
                     number, {"log": sym_log})
        return terms
    return explore(run)


def _fill(tree, fill, ps):
    """A template tree with one node's names: placeholders replaced, operand positions made operands."""
    if isinstance(tree, Branch):
        return Branch(tree.cond.format_map(fill), _fill(tree.then, fill, ps), _fill(tree.otherwise, fill, ps))
    return [(ps[i], sign, Sym(term.text.format_map(fill), term.prec)) for i, sign, term in tree]


def backward_statements(trace, forward=None, params_defined=True, blocks_of=False, lists=None):
    """[(comment, lines)] for every op node whose gradient is needed, in reverse order (as ``backward()``):
    `comment` the forward statement it differentiates, `lines` the source of its terms (a branch's body
    indented by 4). Gradient variables are ``grad_<name>``; one starts from its first term (0.0 before a
    term inside a branch), except, with `params_defined`, a parameter's, which the caller defines first
    (`generate`: from its ``.grad``). The root's, ``grad_<root>``, is the caller's too. With `blocks_of`,
    each block's first item is its node instead of the comment. `lists` (a `_Lists`, from `generate`): the
    gradients of a long dot's operands are the list ``G``'s items, and a long dot's terms one statement."""
    needed = needs_grad(trace)
    forward = dict(forward or forward_statements(trace))
    defined = set(trace.params) if params_defined else set()
    defined.add(trace.root)
    names = trace.names
    gname = _grad_of(names)
    if lists is not None:
        gname = lists.grad_of(names)
        defined |= lists.slot.keys() & needed  # G's items start at 0.0 (a parameter's at its .grad)
    blocks, templates = [], {}
    for node in reversed(trace.order):
        if node not in needed or trace.kind[node] != OP:
            continue
        lines = []
        if lists is not None and node in lists.vector:
            tree = _vector_backward(node, trace, needed, templates, gname, lists, lines)
        else:
            tree = backward_terms(node, trace, needed, templates, gname)
        if tree or not lines:
            _emit(tree, gname, defined, lines, "")
        blocks.append((node if blocks_of else forward[node], lines))
    return blocks


# ---- long dots: their operands' values and gradients in lists, their terms one statement each way ----------
VECTOR_MIN = 8  # a dot of this many weights or more, all its operands distinct nodes, is written on lists
_VECTOR_TERM = re.compile(r"\{p(\d+)\} \* \{g\}")  # a term "operand k's value times the upstream gradient"


class _Lists:
    """Where the step keeps the values (list ``V``) and gradients (list ``G``) of long dots' operands:
    `slot` {node: position} (a parameter at its position in P), `vector` the long dot nodes, `tables` the
    module-level lines defining their index tables, `size` the lists' length."""

    def __init__(self, trace):
        self.vector = [n for n in trace.order if trace.kind[n] == OP and n.op == "dot"
                       and len(n.parents) // 2 >= VECTOR_MIN and len(set(n.parents)) == len(n.parents)]
        self.slot = {p: i for i, p in enumerate(trace.params)}
        self.size = len(trace.params)
        for node in self.vector:
            for p in node.parents:
                if p not in self.slot:
                    self.slot[p], self.size = self.size, self.size + 1
        self.vector = {n: k for k, n in enumerate(self.vector)}
        self.gslot = {p for n in self.vector for p in n.parents}  # whose gradient lives in G
        self.tables, self.split = [], {}

    def grad_of(self, names):
        slot, gslot = self.slot, self.gslot
        return lambda node: f"G[{slot[node]}]" if node in gslot else grad_name(names[node])

    def table(self, name, nodes, getter=True):
        """A module-level index table `name` of `nodes`' positions (an itemgetter over them if `getter`)."""
        bounds, positions = [], [self.slot[n] for n in nodes]
        for i in positions:
            if bounds and bounds[-1] == i:
                bounds[-1] = i + 1
            else:
                bounds += [i, i + 1]
        text = f"index({', '.join(map(str, bounds))})"
        self.tables.append(f"{name} = {f'itemgetter(*{text})' if getter else text}")
        return name


def _vector_forward(node, trace, lists):
    """A long dot's forward as the engine computes it: ``sum(map(mul, weights, inputs), 0.0)`` (+ bias)."""
    k, ps = lists.vector[node], node.parents
    n = len(ps) // 2
    w, x = lists.table(f"_d{k}w", ps[:n]), lists.table(f"_d{k}x", ps[n:2 * n])
    bias = f" + {_operand(ps[2 * n], trace)}" if len(ps) % 2 else ""
    return f"{trace.names[node]} = sum(map(mul, {w}(V), {x}(V)), 0.0){bias}"


def _vector_backward(node, trace, needed, templates, gname, lists, lines):
    """A long dot's backward: the terms of its closure's template of the form ``operand k's value * g``
    (distinct targets, so their order within the node does not matter) as one statement on the lists;
    the other terms (the bias's) returned for `_emit`."""
    tree = _cached_template(node, trace, needed, templates)
    if isinstance(tree, Branch):
        return backward_terms(node, trace, needed, templates, gname)
    split = lists.split.get(id(tree))
    if split is None:
        pairs, rest = [], []
        for term in tree:
            i, sign, sym = term
            m = _VECTOR_TERM.fullmatch(sym.text)
            (pairs if sign == "+" and m else rest).append((i, int(m.group(1))) if sign == "+" and m else term)
        pairs.sort()  # weights then inputs (the closure alternates them): the index tables are then ranges
        split = lists.split[id(tree)] = (tree, pairs, rest)  # the tree is kept, so its id stays its own
    _, pairs, rest = split
    if len(pairs) < 2:
        return backward_terms(node, trace, needed, templates, gname)
    k, ps = lists.vector[node], node.parents
    targets = lists.table(f"_d{k}t", [ps[i] for i, _ in pairs], getter=False)
    old = lists.table(f"_d{k}g", [ps[i] for i, _ in pairs])
    values = lists.table(f"_d{k}v", [ps[j] for _, j in pairs])
    lines.append(f"scatter(G, {targets}, map(add, {old}(G), map(mul, {values}(V), repeat({gname(node)}))))")
    return _fill(rest, _Fill(node, trace.names, gname), ps)


def _targets(tree):
    if isinstance(tree, Branch):
        return _targets(tree.then) + _targets(tree.otherwise)
    return [t[0] for t in tree]


def _emit(tree, gname, defined, lines, indent):
    if isinstance(tree, Branch):
        for target in dict.fromkeys(_targets(tree)):
            if target not in defined:  # a term inside a branch adds to a gradient defined before it
                lines.append(f"{indent}{gname(target)} = 0.0")
                defined.add(target)
        keyword = "if"
        while True:
            lines.append(f"{indent}{keyword} {tree.cond}:")
            _emit(tree.then, gname, defined, lines, indent + "    ")
            if not isinstance(tree.otherwise, Branch):
                break
            tree, keyword = tree.otherwise, "elif"
        if tree.otherwise:
            lines.append(f"{indent}else:")
            _emit(tree.otherwise, gname, defined, lines, indent + "    ")
        return
    if not tree:
        lines.append(f"{indent}pass")
    for target, sign, term in tree:
        g = gname(target)
        if target in defined:
            lines.append(f"{indent}{g} {sign}= {term.text}")
        else:
            lines.append(f"{indent}{g} = {term.text if sign == '+' else (-term).text}")
            defined.add(target)


def generate(trace, return_locals=False):
    """The source of two functions of (P, X), P the parameters (a list of Values, `trace.params`' order) and X
    the inputs' numbers (a list of floats, `flatten`'s order): ``step(P, X)`` adds each parameter's gradient
    to its ``.grad`` and returns the loss (with `return_locals`, its variables instead: a dict name ->
    float, for ``compile(check=True)``); ``forward(P, X)`` returns the loss: it is ``step(P, X, False)``,
    which stops before the backward pass (the forward is written once). A backward block's comment quotes
    the forward line it differentiates when that line is short, else names the node.

    A dot of `VECTOR_MIN` weights or more (its operands distinct nodes) is one statement forward and one
    backward: its operands' values are also kept in a list ``V`` and their gradients only in a list ``G``
    (a parameter's at its position in P), read and written through index tables defined before the
    functions; the floats are the engine's, computed in the same order (``sum(map(mul, ...), 0.0)`` as the
    engine's dot; each gradient gains its terms in ``backward()``'s order). Python compiles a statement per
    term slowly: this keeps a makemore batch's source short."""
    names = trace.names
    lists = _Lists(trace)
    vec = bool(lists.vector)
    labels = [f"# {names[n]}: label {label_comment(n.label)}" for n in trace.order
              if n.label is not None and names[n] != n.label]  # a label is never code, only a comment
    out = ["def step(P, X, backward=True):"]
    if vec:
        out.append(f"    V = [p.data for p in P] + [0.0] * {lists.size - len(trace.params)}")
    slot = lists.slot if vec else {}
    store = lambda n: [f"    V[{slot[n]}] = {names[n]}"] if n in slot and trace.kind[n] != PARAMETER else []
    for i, p in enumerate(trace.params):
        out.append(f"    {names[p]} = P[{i}].data")
    position = {v: i for i, v in enumerate(trace.inputs)}
    used_inputs = [n for n in trace.order if trace.kind[n] == INPUT]
    for v in used_inputs:
        out.append(f"    {names[v]} = X[{position[v]}]")
        out += store(v)
    for n in trace.order:
        if trace.kind[n] == CONSTANT:
            if n.label is not None:
                out.append(f"    {names[n]} = {literal(n.data)}")
                out += store(n)
            elif n in slot:
                out.append(f"    V[{slot[n]}] = {literal(n.data)}")
    fwd = forward_statements(trace)
    for node, statement in fwd:
        out.append(f"    {_vector_forward(node, trace, lists) if node in lists.vector else statement}")
        out += store(node)
    loss = names[trace.root]
    out += ["    if not backward:", f"        return {loss}"]
    out.append("    # backward: each block is the chain rule through one forward line, as backward() runs it")
    if vec:
        out.append(f"    G = [p.grad for p in P] + [0.0] * {lists.size - len(trace.params)}")
    gname = lists.grad_of(names)
    own = [(i, p) for i, p in enumerate(trace.params) if p not in lists.gslot]  # gradients in a variable
    out += [f"    {grad_name(names[p])} = P[{i}].grad" for i, p in own]
    out.append(f"    {grad_name(loss)} = 1.0")
    short = {node: s if len(s) <= _SHORT_COMMENT else f"{names[node]} ({node.op} of {len(node.parents)})"
             for node, s in fwd}
    for node, lines in backward_statements(trace, fwd, blocks_of=True, lists=lists):
        out.append(f"    # backward of: {short[node]}")
        out += [f"    {line}" for line in lines]
    if vec:
        out.append("    store_grads(P, G)")
    out += [f"    P[{i}].grad = {grad_name(names[p])}" for i, p in own]
    if return_locals:
        if vec:
            needed = needs_grad(trace)
            pairs = ", ".join(f"({grad_name(names[n])!r}, {slot[n]})" for n in lists.gslot if n in needed)
            out += ["    _l = locals()", f"    _l.update((n, G[i]) for n, i in ({pairs},))", "    return _l"]
        else:
            out.append("    return locals()")
    else:
        out.append(f"    return {loss}")
    out += ["", "", "def forward(P, X):", "    return step(P, X, False)"]
    return "\n".join(labels + lists.tables + out) + "\n"
