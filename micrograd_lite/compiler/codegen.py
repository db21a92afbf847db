"""Code generation: a `Trace` as Python source, one statement per op forward and per chain-rule term backward.

Forward statements come from each op's row in `ops.OPS` (its scalar source; they compute the engine's floats
exactly).
Backward statements are the engine's own closures run on `rules.Sym` stand-ins, in the order ``backward()``
runs them, so the generated gradient is the engine's gradient, term for term. A closure runs once per
signature (op, operand count, shared operands, which need a gradient, constants): on placeholders, whose
terms every node of that signature fills with its own names (`backward_terms`).
"""

import math
import sys

from ..graph import on_paths
from ..ops import OPS
from . import repeat
from .names import grad_name, label_comment, temporary
from .rules import Accumulator, Branch, CompileError, Sym, explore, literal, run_backward, sym_log
from .trace import CONSTANT, INPUT, OP

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


def forward_statements(trace, nodes=None):
    """[(node, statement)] for every op node of `trace` (of `nodes`, a part of its order), in order:
    ``out_h1 = sigmoid(net_h1)``."""
    out = []
    for node in trace.order if nodes is None else nodes:
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


def backward_terms(node, trace, needed, templates=None):
    """`node`'s chain-rule terms, from its closure run on stand-ins: a list of (operand, '+' or '-', Sym),
    or a `rules.Branch` where the closure branches on a number.

    `templates` (a dict, shared across the nodes of one graph): the closure is run once per *signature*
    (its code, operand count, which operands are the same node, which need a gradient, the unlabelled
    constants among them, whose values are written into the terms) on placeholder stand-ins (``{g}`` the
    upstream gradient, ``{o}`` the node's value, ``{p3}`` operand 3's, ``{es3}``, ``{s}`` logsumexp's
    temporaries); every other node with that signature gets the same terms with its own names filled in.
    The closure alone decides the terms; the cache only saves running it again on different names."""
    names, kind, ps = trace.names, trace.kind, node.parents
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
    n = names[node]
    fill = dict(zip(_operand_keys(len(ps)), map(names.__getitem__, ps)), g=grad_name(n), o=n)
    if node.op == "logsumexp":
        es = temporary(n, "es")
        fill["s"] = temporary(n, "s")
        fill.update((f"es{i}", f"{es}[{i}]") for i in range(len(ps)))
    return _fill(tree, fill, ps)


_KEYS = ()


def _operand_keys(n):
    """``('p0', ..., 'p<n-1>')``: the placeholders of n operands."""
    global _KEYS
    keys = _KEYS
    if len(keys) < n:  # replaced whole, never appended to: another thread reads a complete tuple
        keys = _KEYS = tuple(f"p{i}" for i in range(max(n, 2 * len(keys))))
    return keys[:n]


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


def backward_statements(trace, forward=None, params_defined=True, blocks_of=False):
    """[(comment, lines)] for every op node whose gradient is needed, in reverse order (as ``backward()``):
    `comment` the forward statement it differentiates, `lines` the source of its terms (a branch's body
    indented by 4). Gradient variables are ``grad_<name>``; one starts from its first term (0.0 before a
    term inside a branch), except, with `params_defined`, a parameter's, which the caller defines first
    (`generate`: from its ``.grad``). The root's, ``grad_<root>``, is the caller's too. With `blocks_of`,
    each block's first item is its node instead of the comment."""
    needed = needs_grad(trace)
    forward = dict(forward or forward_statements(trace))
    defined = set(trace.params) if params_defined else set()
    defined.add(trace.root)
    blocks, templates = [], {}
    for node in reversed(trace.order):
        if node not in needed or trace.kind[node] != OP:
            continue
        tree = backward_terms(node, trace, needed, templates)
        lines = []
        _emit(tree, trace.names, defined, lines, "")
        blocks.append((node if blocks_of else forward[node], lines))
    return blocks


def backward_block(trace, nodes, defined, needed, templates):
    """The lines of the chain rule through `nodes` (op nodes of `trace`, in order) in reverse order, as
    `backward_statements` writes them, without comments; `defined` (a set, updated) holds the nodes whose
    gradient variable is already defined."""
    lines = []
    for node in reversed(nodes):
        if node in needed and trace.kind[node] == OP:
            _emit(backward_terms(node, trace, needed, templates), trace.names, defined, lines, "")
    return lines


def _targets(tree):
    if isinstance(tree, Branch):
        return _targets(tree.then) + _targets(tree.otherwise)
    return [t[0] for t in tree]


def _emit(tree, names, defined, lines, indent):
    if isinstance(tree, Branch):
        for target in dict.fromkeys(_targets(tree)):
            if target not in defined:  # a term inside a branch adds to a gradient defined before it
                lines.append(f"{indent}{grad_name(names[target])} = 0.0")
                defined.add(target)
        keyword = "if"
        while True:
            lines.append(f"{indent}{keyword} {tree.cond}:")
            _emit(tree.then, names, defined, lines, indent + "    ")
            if not isinstance(tree.otherwise, Branch):
                break
            tree, keyword = tree.otherwise, "elif"
        if tree.otherwise:
            lines.append(f"{indent}else:")
            _emit(tree.otherwise, names, defined, lines, indent + "    ")
        return
    if not tree:
        lines.append(f"{indent}pass")
    for target, sign, term in tree:
        g = grad_name(names[target])
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
    the forward line it differentiates when that line is short, else names the node. A graph of repeated
    parts (`repeat.split`) is written once per shape, in loops (`repeat.generate`), except with
    `return_locals`."""
    names = trace.names
    labels = [f"# {names[n]}: label {label_comment(n.label)}" for n in trace.order
              if n.label is not None and names[n] != n.label]  # a label is never code, only a comment
    parts = None if return_locals else repeat.split(trace)
    if parts is not None:
        needed, templates = needs_grad(trace), {}
        return "\n".join(labels) + "\n" + repeat.generate(
            trace, parts, forward_statements,
            lambda t, nodes, defined: backward_block(t, nodes, defined, needed, templates))
    out = labels + ["def step(P, X, backward=True):"]
    for i, p in enumerate(trace.params):
        out.append(f"    {names[p]} = P[{i}].data")
    position = {v: i for i, v in enumerate(trace.inputs)}
    used_inputs = [n for n in trace.order if trace.kind[n] == INPUT]
    for v in used_inputs:
        out.append(f"    {names[v]} = X[{position[v]}]")
    for n in trace.order:
        if trace.kind[n] == CONSTANT and n.label is not None:
            out.append(f"    {names[n]} = {literal(n.data)}")
    fwd = forward_statements(trace)
    out += [f"    {s}" for _, s in fwd]
    loss = names[trace.root]
    out += ["    if not backward:", f"        return {loss}"]
    out.append("    # backward: each block is the chain rule through one forward line, as backward() runs it")
    out += [f"    {grad_name(names[p])} = P[{i}].grad" for i, p in enumerate(trace.params)]
    out.append(f"    {grad_name(loss)} = 1.0")
    short = {node: s if len(s) <= _SHORT_COMMENT else f"{names[node]} ({node.op} of {len(node.parents)})"
             for node, s in fwd}
    for node, lines in backward_statements(trace, fwd, blocks_of=True):
        out.append(f"    # backward of: {short[node]}")
        out += [f"    {line}" for line in lines]
    out += [f"    P[{i}].grad = {grad_name(names[p])}" for i, p in enumerate(trace.params)]
    out.append("    return locals()" if return_locals else f"    return {loss}")
    out += ["", "", "def forward(P, X):", "    return step(P, X, False)"]
    return "\n".join(out) + "\n"
