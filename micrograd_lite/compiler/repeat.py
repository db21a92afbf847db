"""A batch's repeated structure: one example's straight-line code, run in a loop over the examples.

A batch loss (``cross_entropy`` of B rows: a mean of per-example losses) is B subgraphs of one shape joined
by one node (the sum). Writing all B out statement for statement makes Python's ``compile()`` the cost of
compiling (it grows with the number of statements). `split` finds the parts; `generate` writes each distinct
shape once, as the body of a loop over its examples: the forward in a first loop, the rest straight-line,
the backward in a second loop over the examples in reverse, the order in which ``backward()`` visits them. Each
parameter's gradient receives the same floats in the same order as in the straight-line step (the engine's):
the results are the same, bit for bit.

The parts are found exactly or not at all (`split` returns None and `codegen.generate` writes the straight-line
step). In the topological order the graph must read ``[part 0, ..., part B-1, tail]``, part b ending with
operand b of the join node (the tail holds the join); a part's nodes read only the part's own nodes and leaves
(a node shared between parts is refused), and nothing outside a part reads it but the join. A part is its
*body* and its last `peel` nodes (0 to 2: ``cross_entropy``'s ``logsumexp - shifted[target]``, whose operand
depends on the target), written straight-line per example; the peeled nodes read only nodes of their part and
unlabelled constants. Two bodies have the same shape when their canonical forms are equal: the ops in order,
each operand a node of the body (by position) or a leaf *slot* (leaves and unlabelled constants numbered by
first use in the body, with their kind). A slot holding the same leaf (constant value) in every example of a
shape is read once (a weight) or written in (a constant); otherwise it is read per example (an embedding row,
an input, ``cross_entropy``'s shift), a parameter's gradient then kept in a list. A leaf read per example
anywhere must not be read once anywhere, nor by the tail (refused).
"""

import copy

from .names import grad_name, temporary
from .rules import literal
from .trace import CONSTANT, INPUT, OP, PARAMETER

__all__ = ["split", "generate", "MIN_OPS", "MIN_PART"]

MIN_OPS = 2000  # smaller graphs compile in well under a second straight-line
MIN_PART = 100  # ops per part: a smaller part's loop overhead (its values saved, restored) would slow the step
MAX_SHAPES = 8
NAMED = "named constant"  # a body's constant read per example: a variable, not a literal


class Split:
    """The parts of a trace (see the module docstring). ``join``; ``parts`` (B lists of op nodes);
    ``peel`` (how many nodes end each part after its body); ``shapes`` (a list of (representative,
    [examples])); ``slots`` (per part, its leaves by slot); ``varying`` (per shape, the slots read per
    example); ``tail`` (the op nodes after the parts); ``per_example`` (the leaves read per example)."""


def _canonical(body, kind):
    """(key, slots) of a body, or (None, None) when it reads a node outside itself or a labelled constant."""
    local = {n: i for i, n in enumerate(body)}
    slots, slot_of, key = [], {}, []
    for n in body:
        operands = []
        for p in n.parents:
            j = local.get(p)
            if j is not None:
                operands.append(j)
                continue
            k = kind[p]
            if k == OP or (k == CONSTANT and p.label is not None):
                return None, None
            s = slot_of.get(p)
            if s is None:
                s = slot_of[p] = len(slots)
                slots.append(p)
            operands.append((s, k))
        key.append((n.op, n._backward.__code__, tuple(operands)))
    return tuple(key), slots


def split(trace, min_ops=None, min_part=None):
    """The trace's `Split`, or None when the graph is not B >= 2 parts of at most a few shapes, exactly, or is
    smaller than `min_ops` op nodes (`MIN_OPS`) or `min_part` per part (`MIN_PART`)."""
    min_ops = MIN_OPS if min_ops is None else min_ops
    min_part = MIN_PART if min_part is None else min_part
    kind = trace.kind
    ops = [n for n in trace.order if kind[n] == OP]
    if len(ops) < min_ops:
        return None
    position = {n: i for i, n in enumerate(ops)}
    # the join is near the root: one of the first op nodes (breadth first from the root) reading 2+ op nodes
    seen, queue, tries = {trace.root}, [trace.root], 0
    for n in queue:
        if len(queue) > 256 or tries == 4:
            break
        reads = [p for p in n.parents if kind[p] == OP]
        if len(reads) >= 2:
            tries += 1
            found = _split_at(n, ops, position, kind, min_part)
            if found is not None:
                return found
        for p in reads:
            if p not in seen:
                seen.add(p)
                queue.append(p)
    return None


def _split_at(join, ops, position, kind, min_part):
    """The `Split` with `join` as the join node, or None."""
    ends = join.parents
    if len(ends) < 2 or len(set(ends)) != len(ends) or any(kind[e] != OP for e in ends):
        return None
    at = [position[e] for e in ends]
    if any(b <= a for a, b in zip(at, at[1:])) or (at[-1] + 1) / len(ends) < min_part:
        return None
    parts, start = [], 0
    for e in at:
        parts.append(ops[start:e + 1])
        start = e + 1
    tail = ops[start:]
    in_part = {}
    for b, part in enumerate(parts):
        for n in part:
            in_part[n] = b
    for n in tail:  # the tail reads no part's node but the join its ends
        if n is not join and any(p in in_part for p in n.parents):
            return None
    best = None  # the fewest shapes; of as many, the fewest nodes peeled
    for peel in range(3):
        found = _shapes(parts, peel, kind)
        if found is not None and (best is None or len(found[0]) < len(best[1][0])):
            best = peel, found
    if best is None or 2 * len(best[1][0]) > len(parts):
        return None  # mostly distinct parts: a loop would save little
    peel, (shapes, slots) = best
    # a leaf slot is read once when it holds the same leaf in every example of its shape and that leaf is
    # read per example nowhere; a constant slot is written in when its value is the same in every example
    per_example, once = set(), []
    for rep, members in shapes:
        same = [all(slots[b][s] is slots[rep][s] for b in members) if kind[slots[rep][s]] != CONSTANT else
                all(literal(slots[b][s].data) == literal(slots[rep][s].data) for b in members)
                for s in range(len(slots[rep]))]
        once.append(same)
        for s, ok in enumerate(same):
            if not ok:
                per_example.update(slots[b][s] for b in members)
    changed = True
    while changed:
        changed = False
        for (rep, members), same in zip(shapes, once):
            for s, ok in enumerate(same):
                if ok and kind[slots[rep][s]] != CONSTANT and slots[rep][s] in per_example:
                    same[s] = False
                    per_example.update(slots[b][s] for b in members)
                    changed = True
    if any(p in per_example for n in tail for p in n.parents):
        return None
    if any(ok and slots[rep][s] in per_example for (rep, _), same in zip(shapes, once) for s, ok in enumerate(same)):
        return None  # a constant node written in for one shape and read per example for another
    out = Split()
    out.join, out.parts, out.peel, out.shapes, out.slots, out.tail = join, parts, peel, shapes, slots, tail
    out.varying = [[s for s, ok in enumerate(same) if not ok] for same in once]
    out.per_example = per_example
    return out


def _shapes(parts, peel, kind):
    """([(representative, members)], slots per part) for bodies = parts less their last `peel` nodes, or
    None (a peeled node reads a leaf other than an unlabelled constant, or a node of another part; too many
    shapes)."""
    groups, slots = {}, []
    for b, part in enumerate(parts):
        if len(part) <= peel:
            return None
        body = part[:len(part) - peel]
        mine = set(part)
        for n in part[len(part) - peel:]:
            for p in n.parents:
                if not (p in mine or (kind[p] == CONSTANT and p.label is None)):
                    return None
        key, s = _canonical(body, kind)
        if key is None:
            return None
        groups.setdefault(key, []).append(b)
        if len(groups) > MAX_SHAPES:
            return None
        slots.append(s)
    return [(members[0], members) for members in groups.values()], slots


def generate(trace, sp, forward_statements, backward_block):
    """The source of ``step(P, X, backward=True)`` and ``forward(P, X)`` (as `codegen.generate`'s) for a
    trace split into parts (`split`). ``forward_statements(trace, nodes)`` gives [(node, statement)];
    ``backward_block(trace, nodes, defined)`` the lines of the chain rule through `nodes` in reverse order
    (`defined`, a set it updates: the nodes whose gradient variable exists)."""
    names, kind = trace.names, trace.kind
    params = trace.params
    pindex = {p: i for i, p in enumerate(params)}
    xindex = {v: i for i, v in enumerate(trace.inputs)}
    B = len(sp.parts)
    # the per-example leaves' values are in the list _L: parameters first (their gradients in _G, same
    # positions), then the inputs, then the constants
    varying_params = [p for p in params if p in sp.per_example]
    constants = [c for c in dict.fromkeys(c for part in sp.slots for c in part if c in sp.per_example)
                 if kind[c] == CONSTANT]
    lpos = {p: i for i, p in enumerate(varying_params)}
    for v in trace.inputs:
        lpos[v] = len(varying_params) + xindex[v]
    for i, c in enumerate(constants):
        lpos[c] = len(varying_params) + len(trace.inputs) + i
    once_params = [p for p in params if p not in sp.per_example]
    # the bodies' constants read per example are variables: the representatives' own, named
    named = copy.copy(trace)
    named.kind = dict(kind)
    for (rep, _), varying in zip(sp.shapes, sp.varying):
        for s in varying:
            if kind[sp.slots[rep][s]] == CONSTANT:
                named.kind[sp.slots[rep][s]] = NAMED
    bodies = [part[:len(part) - sp.peel] for part in sp.parts]
    peeled = [part[len(part) - sp.peel:] for part in sp.parts]
    # exported: the body nodes read by the peeled nodes (or, with nothing peeled, by the join), per shape
    shape_of = [0] * B
    exported = []
    for k, (rep, members) in enumerate(sp.shapes):
        wanted = set()
        for b in members:
            shape_of[b] = k
            mine = {n: i for i, n in enumerate(bodies[b])}
            readers = peeled[b] or [sp.join]
            wanted.update(mine[p] for n in readers for p in n.parents if p in mine)
        exported.append(sorted(wanted))
    out = ["def step(P, X, backward=True):"]
    out += [f"    {names[p]} = P[{pindex[p]}].data" for p in once_params]
    once_inputs = {sp.slots[rep][s] for (rep, _), v in zip(sp.shapes, sp.varying)
                   for s in range(len(sp.slots[rep])) if s not in v and kind[sp.slots[rep][s]] == INPUT}
    once_inputs |= {p for n in sp.tail for p in n.parents if kind[p] == INPUT}
    out += [f"    {names[v]} = X[{xindex[v]}]" for v in sorted(once_inputs, key=xindex.get)]
    out.append(f"    _L = [P[_i].data for _i in {tuple(pindex[p] for p in varying_params)!r}]")
    out.append("    _L += X")
    if constants:
        out.append(f"    _L += ({''.join(literal(c.data) + ', ' for c in constants)})")
    out.append(f"    _SAVED = [None] * {B}")
    saved_of = []
    for k, ((rep, members), varying) in enumerate(zip(sp.shapes, sp.varying)):
        body = bodies[rep]
        slot_names = [names[sp.slots[rep][s]] for s in varying]
        saved = [names[n] for n in body]
        saved += [temporary(names[n], w) for n in body if n.op == "logsumexp" for w in ("es", "s")]
        saved += slot_names
        saved_of.append(saved)
        out.append(f"    # the examples {list(members)!r}: one body of {len(body)} op nodes")
        out.append(f"    for _b in {tuple(members)!r}:")
        if slot_names:
            out.append(f"        {_targets(slot_names)} = [_L[_i] for _i in _IX[_b]]")
        out += [f"        {s}" for _, s in forward_statements(named, body)]
        out.append(f"        _SAVED[_b] = ({', '.join(saved)},)")
    out.append("    # each example's last nodes, then the join and what follows it")
    for b in range(B):
        k = shape_of[b]
        reads = {p for n in (peeled[b] or [sp.join]) for p in n.parents}
        out += [f"    {names[bodies[b][j]]} = _SAVED[{b}][{j}]" for j in exported[k] if bodies[b][j] in reads]
        out += [f"    {s}" for _, s in forward_statements(trace, peeled[b])]
    out += [f"    {s}" for _, s in forward_statements(trace, sp.tail)]
    loss = names[trace.root]
    out += ["    if not backward:", f"        return {loss}"]
    out.append("    # backward: the join and what follows, each example's last nodes, then the bodies, last first")
    out += [f"    {grad_name(names[p])} = P[{pindex[p]}].grad" for p in once_params]
    out.append(f"    _G = [P[_i].grad for _i in {tuple(pindex[p] for p in varying_params)!r}]")
    out.append(f"    {grad_name(loss)} = 1.0")
    defined = set(once_params) | {trace.root}
    out += [f"    {line}" for line in backward_block(trace, sp.tail, defined)]
    # a body node's gradient starts from what the peeled nodes added (-0.0 when nothing: -0.0 + t is t, for
    # every t), or 0.0 where the straight-line step starts it at 0.0 (its first term inside a branch)
    starts = []
    for k, (rep, _) in enumerate(sp.shapes):
        lines = backward_block(named, bodies[rep], set(once_params) | {sp.slots[rep][s] for s in sp.varying[k]})
        zero = {f"{grad_name(names[bodies[rep][j]])} = 0.0" for j in exported[k]} & {x.strip() for x in lines}
        starts.append(["0.0" if f"{grad_name(names[bodies[rep][j]])} = 0.0" in zero else "-0.0"
                       for j in exported[k]])
    out.append(f"    _GIN = [None] * {B}")
    for b in range(B - 1, -1, -1):
        out += [f"    {line}" for line in backward_block(trace, peeled[b], defined)]
        k = shape_of[b]
        got = [grad_name(names[bodies[b][j]]) if bodies[b][j] in defined else start
               for j, start in zip(exported[k], starts[k])]
        out.append(f"    _GIN[{b}] = ({''.join(g + ', ' for g in got)})")
    ix = [None] * B
    for k, (rep, members) in enumerate(sp.shapes):
        for b in members:
            ix[b] = tuple(lpos[sp.slots[b][s]] for s in sp.varying[k])
    out.append(f"    for _b in range({B - 1}, -1, -1):")
    indent = "        "
    if len(sp.shapes) > 1:
        out.append(f"        _k = {tuple(shape_of)!r}[_b]")
    for k, (rep, members) in enumerate(sp.shapes):
        body, varying = bodies[rep], sp.varying[k]
        if len(sp.shapes) > 1:
            out.append(f"        {'if' if k == 0 else 'elif'} _k == {k}:")
            indent = "            "
        out.append(f"{indent}{_targets(saved_of[k])} = _SAVED[_b]")
        grads = [(i, names[sp.slots[rep][s]]) for i, s in enumerate(varying)
                 if kind[sp.slots[rep][s]] == PARAMETER]
        if grads:
            out.append(f"{indent}_ix = _IX[_b]")
            out += [f"{indent}{grad_name(n)} = _G[_ix[{i}]]" for i, n in grads]
        if exported[k]:
            out.append(f"{indent}{_targets([grad_name(names[body[j]]) for j in exported[k]])} = _GIN[_b]")
        mine = set(once_params) | {sp.slots[rep][s] for s in varying} | {body[j] for j in exported[k]}
        out += [f"{indent}{line}" for line in backward_block(named, body, mine)]
        out += [f"{indent}_G[_ix[{i}]] = {grad_name(n)}" for i, n in grads]
    out += [f"    P[{pindex[p]}].grad = {grad_name(names[p])}" for p in once_params]
    out.append(f"    for _i, _g in zip({tuple(pindex[p] for p in varying_params)!r}, _G):")
    out.append("        P[_i].grad = _g")
    out.append(f"    return {loss}")
    out += ["", "", "def forward(P, X):", "    return step(P, X, False)"]
    out.insert(0, f"_IX = {tuple(ix)!r}")
    return "\n".join(out) + "\n"


def _targets(names):
    return ", ".join(names) + ("," if len(names) == 1 else "")
