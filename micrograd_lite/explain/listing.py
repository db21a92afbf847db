"""`backward_source`: a built graph's forward and backward pass as the Python `micrograd_lite.compile` writes,
with the graph's own numbers in comments (``demos/mazur.py --code``).
"""

from ..compiler.codegen import backward_statements, forward_statements
from ..compiler.names import grad_name, label_comment, temporary
from ..compiler.runtime import NAMESPACE, logsumexp
from ..compiler.trace import CONSTANT, OP, PARAMETER, Trace
from ..engine import Value, topological_order

__all__ = ["backward_source"]


def backward_source(root, params=(), decimals=6):
    """The backward pass of `root`'s graph as straight-line Python (a str): what `micrograd_lite.compile`
    generates, for a graph already built, with this graph's numbers in comments.

    Forward: one statement per op, named after labels (``out_h1 = sigmoid(net_h1)  # 0.593270``). Backward:
    for each op, as ``backward()`` visits them, a comment naming the forward line and one statement per
    chain-rule term (``grad_w5 += out_h1 * grad_net_o1  # 0.082167``: the variable's value after the line).
    The terms are the engine's backward closures run on symbols, so the code is what ``backward()`` computes.

    Variables (differentiated with respect to): the leaves in `params` (e.g. ``model.parameters()``;
    unlabelled ones are named p<index>) or, when `params` is empty, the labelled leaves. Every other leaf is
    a constant: a number, or a named line (``i1 = 0.05``) when it has a label. `decimals`: digits in the
    comments. Raises TypeError when `root` is not a Value, ValueError when it is a leaf or no leaf is a
    variable (nothing to differentiate with respect to: label the leaves or pass params), and
    `compiler.CompileError` for an op the compiler does not know."""

    if not isinstance(root, Value):
        raise TypeError(f"backward_source: root must be a Value, got {type(root).__name__} {root!r}")
    if not root.parents:
        raise ValueError(f"backward_source: root {root!r} is a leaf; there is no backward pass to show")
    order = topological_order(root)
    chosen = set(params)
    variable = (lambda n: n in chosen) if chosen else (lambda n: n.label is not None)
    kind = {n: OP if n.parents else PARAMETER if variable(n) else CONSTANT for n in order}
    t = Trace(root, order, kind, [], ())
    if not t.params:
        raise ValueError("backward_source: no leaf is a variable (labelled, or in params): label the leaves "
                         "to differentiate with respect to, or pass params=model.parameters()")
    names = t.names
    env = dict(NAMESPACE)
    for n in order:
        env[names[n]] = n.data
        if n.op == "logsumexp":  # the forward temporaries its backward reads
            _, es, s = logsumexp(tuple(p.data for p in n.parents))
            env[temporary(names[n], "es")], env[temporary(names[n], "s")] = es, s
    num = lambda x: f"{x:.{decimals}f}" if x == 0 or 10.0 ** -decimals <= abs(x) < 1e6 else f"{x:.{decimals}e}"
    fwd = forward_statements(t)
    width = max(len(s) for _, s in fwd)
    out = [f"# {names[n]}: label {label_comment(n.label)}" for n in order
           if n.label is not None and names[n] != n.label]  # a label is never code, only a comment
    out += ["# forward (values of this graph)"]
    out += [f"{names[n]} = {num(n.data)}" for n in order if not n.parents and (n in t.params or n.label is not None)]
    out += [f"{s.ljust(width)}  # {num(n.data)}" for n, s in fwd]
    out += ["", "# backward: the chain rule through each forward line, in the order backward() runs them",
            f"{grad_name(names[root])} = 1.0"]
    env[grad_name(names[root])] = 1.0
    for comment, lines in backward_statements(t, fwd, params_defined=False):
        out.append(f"# backward of: {comment}")
        for group in _statements(lines):
            exec("\n".join(group), env)  # noqa: S102 (our own generated code, on this graph's numbers)
            target = group[-1].split()[0] if len(group) == 1 else None
            if target is not None and target in env:
                out.append(f"{group[0].ljust(width)}  # {num(env[target])}")
            else:  # a branch: the values its targets end with
                out += group
                targets = dict.fromkeys(line.split()[0] for line in group if line.lstrip().startswith("grad_"))
                out.append("# now " + ", ".join(f"{g} = {num(env[g])}" for g in targets))
    return "\n".join(out) + "\n"



def _statements(lines):
    """`lines` of source grouped into top-level statements (an if with its branches is one group)."""
    groups = []
    for line in lines:
        if groups and (line.startswith(" ") or line.startswith(("elif ", "else:"))):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups
