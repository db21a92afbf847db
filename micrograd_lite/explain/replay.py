"""Replay a graph: rebuild it node by node from its ops, with some nodes replaced, to re-evaluate it.

`replay` is how the slip catalogue (`slips`) asks "what would this derivation give if the learner had used 0.5
for 0.05, a neuron's net for its out, w3 for w2, the weights after the step?": it walks the graph in
topological order and calls the public `Value` op named by each node's ``op`` on the replayed parents, so
the new graph's values and its ``backward()`` are the engine's, under the substitution. Nothing of the
engine's internals is used: only ``op``, ``parents``, ``data`` and ``label``.
"""


from ..engine import Value, topological_order
from ..ops import OPS
from .naming import display_name

__all__ = ["replay"]


def replay(root, substitute=None):
    """Rebuild `root`'s graph from fresh Values; returns ``{original node: new node}`` for every node of
    ``topological_order(root)`` (the new graph's grads are all 0.0; call ``new[root].backward()``).

    `substitute`: ``{original node: replacement}``, where a replacement is
      - a number: the node becomes a leaf holding it (its label kept), e.g. a weight with another value;
      - a callable ``f(parents, node)``: `parents` is the list of the node's replayed parents (empty for a
        leaf), `node` the original; it returns the Value to use, e.g. ``lambda ps, node: ps[0]`` replaces
        an activation by its input (the net used as the out). A returned Value that is not one of the
        replayed nodes gets the original's label when it has none.
    Other leaves become ``Value(leaf.data, label=leaf.label)``; other nodes are recomputed by their op:
    ``+ - * / neg ** exp log sqrt tanh sigmoid relu abs sum dot logsumexp``. Replay conventions, from the ops' public
    shapes: a ``dot`` node's parents are w_1..w_n, x_1..x_n, then the bias when their count is odd; a ``**``
    whose exponent is an unlabelled leaf is replayed with that number as exponent (how ``v ** 2`` stores
    it); a ``sum`` node's numeric ``start`` is its last parent (a constant leaf).

    Raises TypeError when `root` is not a Value or a replacement is neither a number nor a callable (or a
    callable returns a non-Value), ValueError naming the op for a node whose op cannot be replayed, and
    whatever the ops raise for values outside their domain (``log`` of a value <= 0 after a substitution)."""
    if not isinstance(root, Value):
        raise TypeError(f"replay: root must be a Value, got {type(root).__name__} {root!r}")
    substitute = substitute or {}
    new = {}
    made = set()  # ids of Values built here, so a callable's reuse of one is not relabelled
    for node in topological_order(root):
        parents = [new[p] for p in node.parents]
        rule = substitute.get(node)
        if rule is None:
            out = Value(node.data, label=node.label) if not node.parents else _recompute(node, parents)
        elif callable(rule):
            out = rule(parents, node)
            if not isinstance(out, Value):
                raise TypeError(f"replay: the substitute for {display_name(node)!r} returned {type(out).__name__} "
                                f"{out!r}, not a Value")
            if id(out) in made:
                new[node] = out
                continue
        elif isinstance(rule, (int, float)) and not isinstance(rule, bool):
            out = Value(float(rule))
        else:
            raise TypeError(f"replay: the substitute for {display_name(node)!r} must be a number or a callable, "
                            f"got {type(rule).__name__} {rule!r}")
        if out.label is None:
            out.label = node.label
        made.add(id(out))
        new[node] = out
    return new


def _recompute(node, ps):
    """`node`'s op applied to the replayed parents `ps` (a list of Values)."""
    row = OPS.get(node.op)  # the op's row says how (ops.OPS)
    if row is None or (row.arity is not None and row.arity != len(ps)):
        raise ValueError(f"replay: cannot replay op {node.op!r} with {len(ps)} parents (node {display_name(node)!r})")
    return row.replay(ps, node)
