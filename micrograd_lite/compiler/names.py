"""The names of generated code: the one place where a node's label becomes a Python identifier.

A user's label never becomes code as it is. `identifier` turns it into a readable name (``w₁`` -> ``w_1``,
``∂E/∂w`` -> ``dE_dw``, ``HW[0][1]`` -> ``HW_0_1``) that is already in the form Python compares identifiers
in (NFKC, PEP 3131: otherwise ``ｗ`` and ``w``, ``ﬁ`` and ``fi`` would be one variable); `assign_names` makes
the names unique against each other, against every name derived from them (``grad_w``) and against every
name the generated code binds itself (`RESERVED`: its arguments, helpers and Python's builtins). The label
itself appears in generated code only in a comment, escaped (`label_comment`).

Two namespaces that cannot meet: a name made from a label or a position never starts with ``_``
(`identifier` strips leading underscores); every temporary the generated code needs besides the nodes'
values and gradients does (`temporary`: ``_es_z``, a logsumexp's exponentials).
"""

import builtins
import keyword
import re
import unicodedata

__all__ = ["identifier", "assign_names", "grad_name", "temporary", "label_comment", "RESERVED"]

# Names the generated code binds or calls itself: never a node's name. The runtimes' helpers, the scalar
# step's arguments and functions, and every builtin (the code calls sum, abs and locals).
RESERVED = frozenset({"P", "X", "B", "p", "forward", "step", "inf", "nan", "exp", "log", "log1p", "sqrt", "tanh",
                      "sigmoid", "logsumexp", "power", "power_of", "math", "backward"} | set(dir(builtins)))

# Characters spelled out rather than dropped (after NFKC): the notes' partial derivatives, products, etc.
_SPELLED = {"∂": "d", "∇": "nabla", "∑": "sum", "∏": "prod", "√": "sqrt", "∞": "inf", "·": "_",
            "×": "_x_", "'": "_prime", "′": "_prime", "″": "_prime2"}


def _is_script(ch):
    """A sub- or superscript character (``₁``, ``²``, ``ᵢ``): written as ``_`` + its base character."""
    name = unicodedata.name(ch, "")
    return ("SUBSCRIPT" in name or "SUPERSCRIPT" in name) and unicodedata.normalize("NFKC", ch) != ch


def identifier(text):
    """`text` (a label; any object is read with str) as a readable Python identifier in NFKC form, or ``''``
    when nothing readable is left (the caller then names the node by its position).

    ``w₁`` -> ``w_1``, ``x²`` -> ``x_2``, ``∂E/∂w`` -> ``dE_dw``, ``HW[0][1]`` -> ``HW_0_1``, ``ｗ`` -> ``w``,
    ``ﬁ`` -> ``fi``, ``α`` -> ``α``, ``if`` -> ``if_``, ``5`` -> ``v5``. The result never starts or ends with
    ``_`` (except a keyword's trailing one) and never holds two ``_`` in a row."""
    out, script = [], False
    for ch in str(text):
        if _is_script(ch):
            out.append(("" if script else "_") + unicodedata.normalize("NFKC", ch))
            script = True
            continue
        script = False
        ch = unicodedata.normalize("NFKC", ch)
        out.append("".join(_SPELLED.get(c, c) for c in ch))
    name = unicodedata.normalize("NFKC", "".join(out))
    # every character that cannot continue an identifier becomes "_"; runs of "_" become one
    name = "".join(c if ("a" + c).isidentifier() else "_" for c in name)
    name = re.sub(r"_+", "_", name).strip("_")
    if not name:
        return ""
    if not name[0].isidentifier():  # a digit, or a mark that cannot start a name
        name = "v" + name
    if keyword.iskeyword(name):
        name += "_"
    if not name.isidentifier() or unicodedata.normalize("NFKC", name) != name:
        return ""
    return name


def grad_name(name):
    """The variable holding the gradient of the node named `name`."""
    return "grad_" + name


def temporary(name, what):
    """A temporary of the node named `name` (e.g. ``what='es'``, a logsumexp's exponentials): starts with
    ``_``, so no label's name can be it."""
    return f"_{what}_{name}"


def label_comment(label):
    """`label` as the text of a comment: its repr, so a newline or any unprintable character is escaped and
    the comment cannot end early."""
    return repr(str(label))


def assign_names(nodes, fallback):
    """{node: name} for `nodes` (in order): from the label where `identifier` gives one, else
    ``fallback(node)`` (a positional name such as ``x0``, ``p3``, ``tanh12``: letters then digits). Each
    name, and its `grad_name`, differs from every other name given here, from their gradients' names and
    from `RESERVED`; a clash is resolved by a suffix ``_2``, ``_3``..."""
    taken = set(RESERVED)
    names = {}
    for n in nodes:
        base = identifier(n.label) if n.label is not None else ""
        base = base or fallback(n)
        name, k = base, 2
        while name in taken or grad_name(name) in taken:
            name, k = f"{base}_{k}", k + 1
        taken.update((name, grad_name(name)))
        names[n] = name
    return names
