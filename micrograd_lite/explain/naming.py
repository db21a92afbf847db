"""`display_name`: the one name a printer shows for a node (the trace, the backward page, `check`'s causes).

- a labelled node shows its label;
- a constant (an unlabelled leaf) shows as its number, 4 significant digits (``0.5``): a number, never
  something with a gradient (no ``∂E_total/∂2``);
- an unlabelled computed node is named after its op and operands: ``w5·out_h1``, ``out_h1 + b2``,
  ``(0.01 − out_o1)^2``, ``sigmoid(net_h1)``; operands that are themselves unlabelled and computed nest in
  brackets, and past `MAX_LENGTH` characters the innermost ones are shortened to ``…``.

Display names are for people: two nodes may share one (two ``0.5`` constants); code that needs unique names
(the compiler) makes its own.
"""

__all__ = ["display_name", "denominator", "MAX_LENGTH"]

MAX_LENGTH = 32  # past this a name stops being read at a glance; deeper operands become …

_INFIX = {"+": " + ", "-": " − ", "*": "·", "/": " / "}


def display_name(node, max_length=MAX_LENGTH):
    """The name printed for `node` (a `Value`), a str of at most `max_length` characters for an unlabelled
    node (a label is shown whole, as the user wrote it)."""
    if node.label is not None:
        return str(node.label)
    for depth in (3, 2, 1, 0):
        name = _name(node, depth)
        if len(name) <= max_length:
            return name
    return (node.op or "…")[:max_length]


def _number(x):
    return format(x, ".4g")


def _name(node, depth):
    if node.label is not None:
        return str(node.label)
    if not node.parents:
        return _number(node.data)
    if depth == 0:
        return "…"
    args = [_operand(p, depth - 1) for p in node.parents]
    if node.op in _INFIX and len(args) == 2:
        return _INFIX[node.op].join(args)
    if node.op == "**" and len(args) == 2:
        return f"{args[0]}^{args[1]}"
    inner = [_name(p, depth - 1) for p in node.parents]  # a function's arguments need no brackets
    return f"{node.op}({', '.join(inner)})"


def _operand(node, depth):
    name = _name(node, depth)
    if node.label is None and node.parents and node.op in ("+", "-", "*", "/", "**") and name != "…":
        return f"({name})"
    return name


def denominator(node, name):
    """`name` (`node`'s display name) as the denominator of ∂: bracketed when it is an unlabelled node's op
    over operands (``∂E/∂(w5·out_h1)``), as it is."""
    if node.label is None and node.parents and not (name.endswith(")") and name[:1].isalpha()):
        return f"({name})"
    return name
