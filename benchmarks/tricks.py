"""The measurements behind the numbers in engine.py's and nn.py's speed comments: each trick against the
code it replaced (or, for `_result`, the inlining it did not adopt), in one process, alternating.

Run: ``python -m benchmarks.tricks`` (about half a minute; ``--quick`` for one repetition on small
sizes). Each "before" variant is a copy of the replaced code kept here, checked to compute the same
result as the engine, so a number cannot come from a variant that does less work.
"""

import argparse
import gc
import platform
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from numbers import Real

from tabulate import tabulate

from micrograd_lite import Layer, Value, engine
from micrograd_lite.engine import (_add_backward, _as_value, _check_number, _constant, _depth_first, _dot, _new,
                                   _pow_const_backward, _power_derivative, _result, topological_order)
from . import workloads


def _median_ns(fn, calls, reps, clock, per=1):
    """Median over `reps` of the time of `calls` calls of `fn`, in ns per call / `per`."""
    times = []
    calls = max(calls, 1)
    for _ in range(reps):
        t0 = clock()
        for _ in range(calls):
            fn()
        times.append((clock() - t0) / calls / per * 1e9)
    return statistics.median(times)


def _ab(a, b, calls, reps, clock, per=1):
    """(ns of a, ns of b), measured alternately so that load changes hit both."""
    ta, tb = [], []
    for r in range(reps):
        for name, fn in ((("a", a), ("b", b)) if r % 2 == 0 else (("b", b), ("a", a))):
            (ta if name == "a" else tb).append(_median_ns(fn, calls, 1, clock, per))
    return statistics.median(ta), statistics.median(tb)


# ---- the replaced code --------------------------------------------------------------------------------

def _check_number_abc(x, where):
    """_check_number before its fast paths: the Real ABC check for every number."""
    if isinstance(x, Real) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"{where}: expected an int, float or Value, got {type(x).__name__} {x!r}")


def _result_via_init(data, prev, op, backward):
    """Building an op's node through the validating constructor instead of object.__new__."""
    out = Value(data)
    out._prev, out._op, out._backward = prev, op, backward
    return out


def _result_two_switches(data, prev, op, backward):
    """_result testing both switches on the common path instead of the one `_plain` flag."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if engine._recording and not engine._anomaly:
        out._prev = prev
        out._op = op
        out._backward = backward
        return out
    raise AssertionError("only the common path is measured")


def _add_inlined(a, b):
    """a + b with _result's common path written out, as an op would read if `_result` were inlined."""
    if type(b) is not Value:
        b = _as_value(b, "+")
    out = _new(Value)
    out.data = a.data + b.data
    out.grad = 0.0
    out.label = None
    if engine._plain:
        out._prev = (a, b)
        out._op = "+"
        out._backward = _add_backward
        return out
    return _result(out.data, (a, b), "+", _add_backward)


def _dot_sum(ws, xs, bias):
    """_dot with its sum taken by sum() over a list comprehension."""
    total = sum([w.data * x.data for w, x in zip(ws, xs)])
    if bias is None:
        return _result(total, (*ws, *xs), "dot", engine._dot_backward)
    return _result(total + bias.data, (*ws, *xs, bias), "dot", engine._dot_backward)


def _dfs_tuple_stack(root, leaves, reset):
    """The depth-first search with one stack of (node, iterator) pairs (two tracked objects per level)."""
    if not root._prev:
        return [root] if leaves else []
    order = []
    seen = {root}
    stack = [(root, iter(root._prev))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if p not in seen:
                seen.add(p)
                if p._prev:
                    stack.append((p, iter(p._prev)))
                    break
                if leaves:
                    order.append(p)
        else:
            stack.pop()
            if reset:
                node.grad = 0.0
            order.append(node)
    return order


def _backward_two_passes(root):
    """backward() with the interior grads reset in a separate pass over the order."""
    order = topological_order(root, leaves=False)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        node._backward(node)


def _backward_fused(root):
    """backward()'s path: grads reset by the search itself."""
    order = _depth_first(root, False, True)
    root.grad = 1.0
    for node in reversed(order):
        node._backward(node)


def _pow_const_backward_general(node):
    """_pow_const_backward without the square's fast path."""
    a, k = node._prev
    a.grad += _power_derivative(a.data, k.data) * node.grad


class _DictValue:
    """Value's fields in an instance __dict__ instead of __slots__ (for the memory comparison)."""

    def __init__(self, data):
        self.data, self.grad, self.label, self._prev, self._op, self._backward = data, 0.0, None, (), "", None


# ---- the tricks ---------------------------------------------------------------------------------------

def tricks(sizes, clock):
    """Rows of [trick, where, with it, without it, unit]."""
    reps = sizes.reps
    n = sizes.calls
    rows = []

    def row(name, where, with_, without, unit):
        rows.append([name, where, with_, without, unit])

    x = 0.5
    a, b = _check_number(x, "t"), _check_number_abc(x, "t")
    assert a == b
    t_new, t_old = _ab(lambda: _check_number(x, "t"), lambda: _check_number_abc(x, "t"), n, reps, clock)
    row("float fast path before the Real ABC check", "_check_number", t_new, t_old, "ns per number")

    assert _constant(2.0).data == Value(2.0).data
    t_new, t_old = _ab(lambda: _constant(2.0), lambda: Value(2.0), n, reps, clock)
    row("constant leaves built without __init__", "_constant", t_new, t_old, "ns per constant")

    p, q = Value(1.0), Value(2.0)
    prev = (p, q)
    t_new, t_old = _ab(lambda: _result(3.0, prev, "+", _add_backward),
                       lambda: _result_via_init(3.0, prev, "+", _add_backward), n, reps, clock)
    row("op nodes built with object.__new__, not Value()", "_new, _result", t_new, t_old, "ns per node")

    t_new, t_old = _ab(lambda: _result(3.0, prev, "+", _add_backward),
                       lambda: _result_two_switches(3.0, prev, "+", _add_backward), n, reps, clock)
    row("one `_plain` flag tested, not two switches", "_result", t_new, t_old, "ns per node")

    t_new, t_old = _ab(lambda: type(q) is not Value, lambda: _as_value(q, "+"), n, reps, clock)
    row("`type(other) is Value` test before _as_value", "__add__ etc.", t_new, t_old, "ns per op")

    assert (p + q).data == _add_inlined(p, q).data
    t_call, t_inline = _ab(lambda: p + q, lambda: _add_inlined(p, q), n, reps, clock)
    row("(not adopted) _result inlined into the op", "__add__", t_call, t_inline, "ns per op (with = call)")

    ws = [Value(0.1 * i - 0.7) for i in range(16)]
    xs = [Value(0.05 * i + 0.3) for i in range(16)]
    assert _dot(ws, xs, None).data == _dot_sum(ws, xs, None).data
    t_new, t_old = _ab(lambda: _dot(ws, xs, None), lambda: _dot_sum(ws, xs, None), n // 4, reps, clock, per=16)
    row("dot's sum as a for loop, not sum() of a list", "_dot", t_new, t_old, "ns per input (16 inputs)")

    layer = Layer(16, 16, "tanh", rng=0)
    x16 = [0.1 * i for i in range(16)]
    old_layer = lambda: [Value.dot(nn.w, x16, nn.b).tanh() for nn in layer.neurons]  # noqa: E731
    assert [v.data for v in layer(x16)] == [v.data for v in old_layer()]
    t_new, t_old = _ab(lambda: layer(x16), old_layer, n // 64, reps, clock, per=16 * 16)
    row("a layer converts its inputs once, not per neuron", "nn.Layer", t_new, t_old,
        "ns per input per neuron (16x16, numbers in)")

    x16v = [Value(v) for v in x16]
    neuron = layer.neurons[0]

    def fused():
        out = _dot(neuron.w, x16v, neuron.b).tanh()
        out.backward()

    def binary():
        out = neuron.b
        for w, xi in zip(neuron.w, x16v):
            out = out + w * xi
        out = out.tanh()
        out.backward()
    t_new, t_old = _ab(fused, binary, n // 64, reps, clock)
    row("a neuron's w.x+b as one dot node, not 2n binary ones", "Value.dot, nn.Neuron", t_new, t_old,
        "ns per neuron, forward + backward (16 inputs)")

    # The searches, on graphs.
    plan = workloads.mixed_plan(sizes.width, sizes.depth)
    root = workloads.build(plan, workloads.plan_leaves(plan, Value))
    assert _dfs_tuple_stack(root, True, False) == topological_order(root)
    del root
    times = {_backward_fused: [], _backward_two_passes: []}
    for r in range(reps):  # each on a graph of its own, fresh from the forward pass, as in training
        for backward in (_backward_fused, _backward_two_passes)[::1 if r % 2 == 0 else -1]:
            root = workloads.build(plan, workloads.plan_leaves(plan, Value))
            gc.collect()
            t0 = clock()
            backward(root)
            times[backward].append((clock() - t0) / plan.ops * 1e9)
            del root
    row("grads reset by the search, not in a second pass", "_depth_first, backward",
        statistics.median(times[_backward_fused]), statistics.median(times[_backward_two_passes]),
        f"ns per node, backward of a fresh {plan.ops:,}-op graph")

    _, chain_root = workloads.chain(Value, sizes.chain)
    gc.collect()
    t_new, t_old = _ab(lambda: _depth_first(chain_root, False, True),
                       lambda: _dfs_tuple_stack(chain_root, False, True), 1, reps, clock, per=sizes.chain)
    row("search stack as two lists, not (node, iterator) pairs", "_depth_first", t_new, t_old,
        f"ns per node, a {sizes.chain:,}-op chain")
    chain_root = None  # frees the chain (the lambdas above hold the variable, not the value)
    gc.collect()

    v = Value(0.7)
    sq = v ** 2
    sq.grad = 1.0
    v.grad = 0.0
    _pow_const_backward(sq)
    g_new = v.grad
    v.grad = 0.0
    _pow_const_backward_general(sq)
    assert v.grad == g_new
    t_new, t_old = _ab(lambda: _pow_const_backward(sq), lambda: _pow_const_backward_general(sq), n, reps, clock)
    row("x ** 2's derivative without the general helper", "_pow_const_backward", t_new, t_old, "ns per node")

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    slots = [_constant(float(i)) for i in range(sizes.calls)]
    with_slots = (tracemalloc.get_traced_memory()[0] - before) / len(slots)
    del slots
    before = tracemalloc.get_traced_memory()[0]
    dicts = [_DictValue(float(i)) for i in range(sizes.calls)]
    with_dicts = (tracemalloc.get_traced_memory()[0] - before) / len(dicts)
    tracemalloc.stop()
    del dicts
    row("__slots__, not an instance __dict__", "Value", with_slots, with_dicts,
        "bytes per leaf (incl. its float)")
    return rows


def format_tricks(rows, sizes, clock_name):
    table = tabulate([[name, where, f"{w:,.0f}", f"{wo:,.0f}",
                       f"{wo / w:.2f}x" if w else "", unit] for name, where, w, wo, unit in rows],
                     headers=["trick", "where", "with", "without", "without / with", "unit"],
                     tablefmt="github", disable_numparse=True)
    return (f"{table}\n\nPython {platform.python_version()}, clock {clock_name}, median of {sizes.reps} "
            f"alternating repetitions.\n")


@dataclass(frozen=True)
class Sizes:
    """Repetitions and problem sizes of a tricks run."""
    reps: int = 8           # alternating repetitions (even: each variant first as often); the median
    calls: int = 20_000     # calls per repetition of a small function
    width: int = 1000       # the mixed graph, as in run.py
    depth: int = 99
    chain: int = 300_000


FULL = Sizes()
QUICK = Sizes(reps=1, calls=2_000, width=100, depth=20, chain=20_000)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one repetition on small sizes (a smoke run)")
    parser.add_argument("--clock", choices=["perf_counter", "process_time"], default="perf_counter")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    print(format_tricks(tricks(sizes, getattr(time, args.clock)), sizes, args.clock))


if __name__ == "__main__":
    main()
