"""The graph under a slip: a replay of it with some nodes replaced (`_World`), and what every slip of one check
shares (`_Context`: the graph's order, its labelled leaves, their roles, the base world and its gradients).
"""

import heapq

from ..engine import Value, topological_order
from .claims import _label_index
from .paths import backpropagate, local_derivatives
from .replay import _recompute, replay


# ---- worlds: the graph re-evaluated under a slip ------------------------------------------------------------
class _World:
    """The graph replayed under a substitution; answers claims with the engine's forward and backward."""

    def __init__(self, root, substitute=None):
        self.root = root
        self.new = replay(root, substitute)
        self._grads = {}

    def grads(self, source):
        """{original node: d source / d node} in this world, by one backward() on zeroed grads."""
        if source not in self._grads:
            for v in self.new.values():
                v.grad = 0.0
            self.new[source].backward()
            self._grads[source] = {n: v.grad for n, v in self.new.items()}
        return self._grads[source]

    def value(self, claim, lr):
        if claim.kind == "data":
            return self.new[claim.node].data
        if claim.kind == "grad":
            return self.grads(claim.node).get(claim.wrt, 0.0)
        return self.new[claim.node].data - lr * self.grads(self.root).get(claim.node, 0.0)



class _Context:
    """Everything a check needs once per call: the graph, its labels, the parameters, the worlds built."""

    def __init__(self, root, lr, params):
        self.root, self.lr = root, lr
        self.order = topological_order(root)
        self.index = _label_index(self.order)
        self.labelled = [n for n in self.order if n.label is not None and len(self.index[n.label]) == 1]
        self.leaves = [n for n in self.labelled if not n.parents]
        self.roles = _roles(self.order)
        self.params = self.leaves if params is None else [p for p in params if p in set(self.order)]
        self.local = {n: local_derivatives(n) for n in self.order if n.parents}
        self.base = _World(root)
        self._worlds = {}
        self._cones = {}
        self.pos = {n: i for i, n in enumerate(self.order)}
        self.children = {}
        for node in self.order:
            for p in set(node.parents):
                self.children.setdefault(p, []).append(node)

    def data_with(self, target, substitute):
        """`target`'s data with `substitute` (as `replay` takes it) applied: only the nodes computed from a
        substituted one, on the way to `target`, are recomputed, by their ops on the engine (new Values whose
        parents may be the graph's own: nothing of the graph changes). None if a slip leaves an op's domain."""
        cone = self.cone(target)
        new, heap = {}, sorted(self.pos[n] for n in substitute if n in cone)
        queued = set(heap)
        try:
            while heap:
                node = self.order[heapq.heappop(heap)]
                ps = [new.get(p, p) for p in node.parents]
                rule = substitute.get(node)
                if rule is None:
                    out = _recompute(node, ps)
                elif callable(rule):
                    out = rule(ps, node)
                else:
                    out = Value(float(rule))
                new[node] = out
                for child in self.children.get(node, ()):
                    i = self.pos[child]
                    if child in cone and i not in queued:
                        queued.add(i)
                        heapq.heappush(heap, i)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        return new[target].data if target in new else target.data

    def world(self, key, substitute):
        if key not in self._worlds:
            try:
                self._worlds[key] = _World(self.root, substitute)
            except (ValueError, ZeroDivisionError, OverflowError):  # the slip leaves an op's domain
                self._worlds[key] = None
        return self._worlds[key]

    def cone(self, node):
        """The set of nodes `node` is computed from (itself included)."""
        if node not in self._cones:
            self._cones[node] = set(topological_order(node))
        return self._cones[node]

    def tangent(self, wrt):
        """{node: d node / d wrt}, forward through the local derivatives from `wrt` (its own parents
        ignored, as a gradient with respect to an intermediate node is read)."""
        t = {wrt: 1.0}
        for node in self.order:
            if node is wrt or not node.parents:
                continue
            s = 0.0
            for parent, d in self.local[node]:
                tp = t.get(parent)
                if tp:
                    s += d * tp
            if s:
                t[node] = s
        return t

    def grads_with(self, source, override):
        """{node: d source / d node} by the chain rule on the local derivatives, with `override`
        ({node: f(parent, local) -> local}) changing some of them: a backward pass with a slip in it."""
        return backpropagate(self.order, source, self.local, override=override)



def _roles(order):
    """Node -> (distance from the root, the slots it fills): two leaves with the same role (say w2 and w3,
    both weights of a hidden neuron) are what a renumbering swaps; w3 and b2 are not."""
    depth = {order[-1]: 0}
    slots = {}
    for node in reversed(order):
        n = len(node.parents)
        for i, p in enumerate(node.parents):
            depth[p] = max(depth.get(p, 0), depth[node] + 1)
            slot = ("w" if i < n // 2 else "x" if i < 2 * (n // 2) else "b") if node.op == "dot" else i
            slots.setdefault(p, set()).add((node.op, slot))
    return {node: (depth[node], frozenset(slots.get(node, ()))) for node in order}
