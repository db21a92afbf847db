"""micrograd_lite.explain: local derivatives read from the backward functions, the chain rule path by path
(products summing to the gradient on random graphs, against central differences), the notes' w5 and w1
breakdowns, the path cap and the consistency check."""

import math
import re

import pytest
from hypothesis import given, settings, strategies as st

from demos import mazur
from micrograd_lite import Value, topological_order
from micrograd_lite.explain import (ChainRuleError, TooManyPathsError, chain_rule, format_breakdown, on_paths,
                                    local_derivatives)
from micrograd_lite.explain import trace_backward
from micrograd_lite.gradcheck import numerical_grad
from test_properties import cases


def notes_stops(nodes):
    """The variables the notes write factors for (E_o1/E_o2 are not among them: see chain_rule's docstring)."""
    return [nodes[k] for k in ("out_o1", "net_o1", "out_o2", "net_o2", "out_h1", "net_h1", "out_h2", "net_h2")]


# ---- local derivatives ---------------------------------------------------------------------------------------
def test_local_derivatives_are_the_ops_derivatives_and_leave_grads_alone():
    a, b = Value(1.5), Value(-2.0)
    y = a * b
    a.grad, b.grad, y.grad = 7.0, 8.0, 9.0
    assert local_derivatives(y) == [(a, -2.0), (b, 1.5)]
    assert (a.grad, b.grad, y.grad) == (7.0, 8.0, 9.0)
    t = a.tanh()
    assert local_derivatives(t) == [(a, pytest.approx(1 - math.tanh(1.5) ** 2, rel=1e-15))]
    assert local_derivatives(a) == []


def test_a_repeated_operand_is_one_edge_with_the_total_derivative():
    a = Value(3.0, label="a")
    y = a * a
    assert local_derivatives(y) == [(a, 6.0)]
    y.label = "y"
    b = chain_rule(y, a, through="all")
    assert len(b.paths) == 1 and b.paths[0].factors == (6.0,)
    assert str(b) == "∂y/∂a = ∂y/∂a = 6.000000 = 6.000000"


# ---- the notes' breakdowns -------------------------------------------------------------------------------------
def test_w5_breakdown_reads_as_the_notes(mazur_net):
    p, n = mazur_net
    b = chain_rule(n["E_total"], p["w5"], through=notes_stops(n))
    assert len(b.paths) == 1
    path = b.paths[0]
    assert [v.label for v in path.nodes] == ["E_total", "out_o1", "net_o1", "w5"]
    o1, h1 = n["out_o1"].data, n["out_h1"].data
    assert path.factors == pytest.approx([o1 - 0.01, o1 * (1 - o1), h1], rel=1e-12)
    assert b.gradient == p["w5"].grad and path.product == pytest.approx(p["w5"].grad, rel=1e-12)
    assert str(b) == ("∂E_total/∂w5 = ∂E_total/∂out_o1 × ∂out_o1/∂net_o1 × ∂net_o1/∂w5 "
                      "= 0.741365 × 0.186816 × 0.593270 = 0.082167")


def test_w1_breakdown_has_two_paths_through_o1_and_o2(mazur_net):
    p, n = mazur_net
    b = chain_rule(n["E_total"], p["w1"], through=notes_stops(n))
    assert [[v.label for v in path.nodes] for path in b.paths] == [
        ["E_total", "out_o1", "net_o1", "out_h1", "net_h1", "w1"],
        ["E_total", "out_o2", "net_o2", "out_h1", "net_h1", "w1"]]
    o1, o2, h1 = n["out_o1"].data, n["out_o2"].data, n["out_h1"].data
    assert b.paths[0].factors == pytest.approx([o1 - 0.01, o1 * (1 - o1), 0.40, h1 * (1 - h1), 0.05], rel=1e-12)
    assert b.paths[1].factors == pytest.approx([o2 - 0.99, o2 * (1 - o2), 0.50, h1 * (1 - h1), 0.05], rel=1e-12)
    assert b.total() == pytest.approx(p["w1"].grad, rel=1e-12)
    assert abs(b.gradient - float(mazur.PUBLISHED_GRAD["w1"])) <= mazur.tolerance(mazur.PUBLISHED_GRAD["w1"])
    assert format_breakdown(b, 9).splitlines() == [
        "∂E_total/∂w1 = ∂E_total/∂out_o1 × ∂out_o1/∂net_o1 × ∂net_o1/∂out_h1 × ∂out_h1/∂net_h1 × ∂net_h1/∂w1",
        "             + ∂E_total/∂out_o2 × ∂out_o2/∂net_o2 × ∂net_o2/∂out_h1 × ∂out_h1/∂net_h1 × ∂net_h1/∂w1",
        "             = 0.741365070 × 0.186815602 × 0.400000000 × 0.241300709 × 0.050000000",
        "             + (-0.217071535) × 0.175510053 × 0.500000000 × 0.241300709 × 0.050000000",
        "             = 0.000668396 + (-0.000229828)",
        "             = 0.000438568"]


def test_labelled_mode_stops_at_every_labelled_node(mazur_net):
    # E_o1 is labelled, so 'labelled' shows ∂E_total/∂E_o1 = 1 and collapses the unlabelled 1/2 (t - out)^2.
    p, n = mazur_net
    b = chain_rule(n["E_total"], p["w5"])
    assert [v.label for v in b.paths[0].nodes] == ["E_total", "E_o1", "out_o1", "net_o1", "w5"]
    assert b.paths[0].factors[:2] == pytest.approx([1.0, n["out_o1"].data - 0.01], rel=1e-12)
    every = chain_rule(n["E_total"], p["w5"], through="all")
    assert len(every.paths[0].factors) == 6  # +, 0.5*, **2, (t - out), sigmoid, dot
    assert every.paths[0].product == pytest.approx(b.paths[0].product, rel=1e-12)


def test_gradient_does_not_depend_on_grads_left_over(mazur_net):
    p, n = mazur_net
    n["E_total"].backward()  # leaf grads now hold twice the gradient
    before = {k: v.grad for k, v in n.items()}
    b = chain_rule(n["E_total"], p["w5"])
    assert b.gradient == pytest.approx(p["w5"].grad / 2, rel=1e-15)
    assert {k: v.grad for k, v in n.items()} == before


# ---- random graphs ------------------------------------------------------------------------------------------
OPS = {
    "add": (2, lambda a, b: a + b), "sub": (2, lambda a, b: a - b), "mul": (2, lambda a, b: a * b),
    "neg": (1, lambda a: -a), "tanh": (1, lambda a: a.tanh()), "sigmoid": (1, lambda a: a.sigmoid()),
    "square": (1, lambda a: a ** 2), "sum": (3, lambda a, b, c: Value.sum([a, b, c])),
    "dot": (4, lambda w1, w2, x1, x2: Value.dot([w1, w2], [x1, x2], 0.5)),
}


@st.composite
def graphs(draw):
    """(leaf values, program): each step applies an op to earlier nodes (repeats allowed, e.g. a * a)."""
    xs = draw(st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=3))
    program = []
    for k in range(draw(st.integers(1, 7))):
        name = draw(st.sampled_from(sorted(OPS)))
        args = [draw(st.integers(0, len(xs) + k - 1)) for _ in range(OPS[name][0])]
        program.append((name, args, draw(st.booleans())))
    return xs, program


def build(values, program):
    nodes = list(values)
    for step, (name, args, labelled) in enumerate(program):
        out = OPS[name][1](*[nodes[i] for i in args])
        if labelled and isinstance(out, Value):
            out.label = f"n{step}"
        nodes.append(out)
    return nodes


def count_paths(node, leaf):
    """Brute force: paths over distinct parents, by plain recursion."""
    if node is leaf:
        return 1
    return sum(count_paths(p, leaf) for p in dict.fromkeys(node.parents))


@settings(max_examples=60, deadline=None)
@given(graphs(), st.data())
def test_path_products_sum_to_the_gradient_on_random_graphs(graph, data):
    xs, program = graph
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    nodes = build(leaves, program)
    root = nodes[-1]
    leaf = nodes[data.draw(st.integers(0, len(nodes) - 1))]
    root.backward()
    grads = [v.grad for v in nodes]
    for through in ("all", "labelled", [v for v in nodes if v is not leaf][::2]):
        b = chain_rule(root, leaf, through=through, max_paths=10**6)
        assert b.total() == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)
        for path in b.paths:
            assert path.nodes[0] is root and path.nodes[-1] is leaf
            assert len(path.factors) == len(path.nodes) - 1
        if through == "all":
            assert len(b.paths) == count_paths(root, leaf)
            for path in b.paths:
                assert all(d in u.parents for u, d in zip(path.nodes, path.nodes[1:]))
    assert [v.grad for v in nodes] == grads  # nothing disturbed
    if leaf in leaves:  # and against central differences, which know nothing of backward functions
        i = leaves.index(leaf)
        numeric = numerical_grad(lambda *vs: build(list(vs), program)[-1], xs)[i]
        total = chain_rule(root, leaf, through="all", max_paths=10**6).total()
        assert total == pytest.approx(numeric, rel=1e-5, abs=1e-6)


# ---- edges and errors ----------------------------------------------------------------------------------------
def diamonds(k):
    """x -> k diamonds (y = tanh(y) + sigmoid(y)): 2**k paths from the last node down to x."""
    x = y = Value(0.1, label="x")
    for _ in range(k):
        y = y.tanh() + y.sigmoid()
    y.label = "y"
    return x, y


def test_too_many_paths_is_a_clear_error_and_counted_not_listed():
    x, y = diamonds(12)
    with pytest.raises(TooManyPathsError, match=r"chain_rule: 4,096 paths from y down to x, more than max_paths=100"):
        chain_rule(y, x, through="all")
    assert len(chain_rule(y, x, through="all", max_paths=4096).paths) == 4096
    x, y = diamonds(60)  # 2**60 paths: would never finish if they were enumerated before the check
    with pytest.raises(TooManyPathsError, match="1,152,921,504,606,846,976 paths"):
        chain_rule(y, x, through="all")
    # With no labels in between and too many paths to list them all, 'labelled' collapses all of them into
    # one factor: the gradient itself, printed once, with what to do to see more.
    b = chain_rule(y, x)
    y.backward()
    assert len(b.paths) == 1 and b.paths[0].factors == (pytest.approx(x.grad, rel=1e-9),)
    assert str(b) == (f"∂y/∂x = {x.grad:.6f} (through unlabelled nodes only, collapsed into one factor; label "
                      f"some, or pass through='all', to see the chain)")


def test_products_that_do_not_add_up_raise():
    # A backward closure that is not linear in the upstream gradient: its local derivative (read with an
    # upstream gradient of 1) no longer predicts what backward() does.
    x = Value(0.5, label="x")
    t = x.tanh()
    t._backward = lambda g: setattr(x, "grad", x.grad + g ** 2)
    y = t * 3.0
    y.label = "y"
    with pytest.raises(ChainRuleError, match=r"paths from y to x sum to 3.0 but backward\(\) gives 9.0"):
        chain_rule(y, x)


def test_unrelated_leaf_and_the_node_itself():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    y = a.tanh()
    y.label = "y"
    none = chain_rule(y, b)
    assert none.paths == () and none.gradient == 0.0
    assert str(none) == "∂y/∂b = 0 (y does not depend on b)"
    itself = chain_rule(y, y)
    assert len(itself.paths) == 1 and itself.paths[0].product == 1.0 and itself.gradient == 1.0


def test_unlabelled_nodes_get_op_names():
    x = Value(0.3, label="x")
    y = (x * 2.0).tanh()
    text = str(chain_rule(y, x, through="all"))
    assert text.startswith("∂tanh(x·2)/∂x = ∂tanh(x·2)/∂(x·2) × ∂(x·2)/∂x = ")  # naming.display_name


def test_bad_arguments():
    x = Value(1.0)
    with pytest.raises(TypeError, match="chain_rule: leaf must be a Value, got float 1.0"):
        chain_rule(x.tanh(), 1.0)
    with pytest.raises(ValueError, match="through must be 'labelled', 'all' or an iterable of Values, got 'some'"):
        chain_rule(x.tanh(), x, through="some")
    with pytest.raises(TypeError, match="through must hold Values, got str 'x'"):
        chain_rule(x.tanh(), x, through=["x"])
    with pytest.raises(ValueError, match="max_paths must be an int >= 1, got 0"):
        chain_rule(x.tanh(), x, max_paths=0)


def test_on_paths_holds_the_sources_and_everything_computed_from_them():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    ab = a * b
    bc = b + c
    root = ab * bc
    order = topological_order(root)
    assert on_paths(order, [a]) == {a, ab, root}
    assert on_paths(order, [b]) == {b, ab, bc, root}
    assert on_paths(order, [c, a]) == {a, c, ab, bc, root}
    assert on_paths(order, []) == set()


def test_with_no_labelled_node_in_between_the_path_shows_the_unlabelled_ops():
    x = Value(0.3, label="x")
    z = (x * 2.0).tanh() + 1.0
    z.label = "z"
    b = chain_rule(z, x)
    z.backward()
    assert [len(p.factors) for p in b.paths] == [3] and b.gradient == x.grad
    t = math.tanh(0.6)
    assert str(b) == (f"∂z/∂x = ∂z/∂tanh(x·2) × ∂tanh(x·2)/∂(x·2) × ∂(x·2)/∂x = 1.000000 × {1 - t * t:.6f} × 2.000000 "
                      f"= {x.grad:.6f}")
    x2, y2 = diamonds(3)  # 8 paths through unlabelled nodes: few enough to list
    assert len(chain_rule(y2, x2).paths) == 8


def chain(n):
    x = y = Value(0.1, label="x")
    for _ in range(n):
        y = y * 0.999 + 0.001
    y.label = "y"
    return x, y


def test_through_all_follows_a_chain_far_deeper_than_the_recursion_limit():
    # The path grows and shrinks in place (it used to be copied at every step: quadratic in depth); the
    # time it takes is measured by benchmarks, not here.
    x, y = chain(20_000)
    b = chain_rule(y, x, through="all")
    y.backward()
    assert b.paths[0].product == pytest.approx(x.grad, rel=1e-9)


# ---- trace_backward -------------------------------------------------------------------------------------------


@given(case=cases)
def test_trace_backward_ends_with_backwards_gradients_on_random_dags(case):
    leaves = [Value(x) for x in case.inputs]
    out = case(*leaves)
    if not isinstance(out, Value):
        return
    trace = trace_backward(out)
    out.backward()
    order = topological_order(out)
    for node in order:
        if node is not out:
            assert trace.grads[node] == pytest.approx(node.grad, rel=1e-12, abs=1e-12)
    # each step's contributions are upstream x local, and the running gradients add them up in order
    running = {out: 1.0}
    for step in trace:
        assert step.upstream == running.get(step.node, 0.0)
        for e in step.edges:
            assert e.contribution == step.upstream * e.local
            running[e.parent] = running.get(e.parent, 0.0) + e.contribution
            assert e.running == running[e.parent]
    assert [s.node for s in trace] == [n for n in reversed(order) if n.parents]


def test_trace_backward_reads_as_the_notes_and_leaves_grads_alone(mazur_net):
    p, n = mazur_net
    before = {k: v.grad for k, v in n.items()}
    trace = trace_backward(n["E_total"])
    assert {k: v.grad for k, v in n.items()} == before
    assert trace.grads[p["w5"]] == pytest.approx(p["w5"].grad, rel=1e-15)
    text = str(trace)
    assert text.startswith("1. E_total = +(E_o1, E_o2):  ∂E_total/∂E_total = 1.000000")
    assert "∂E_total/∂w5 += ∂E_total/∂net_o1 × ∂net_o1/∂w5 = 0.138499 × 0.593270 = 0.082167  → 0.082167" in text
    step = next(s for s in trace if s.name == "out_o1")
    assert step.op == "sigmoid" and [e.name for e in step.edges] == ["net_o1"]
    assert step.edges[0]._asdict()["local"] == pytest.approx(0.186816, abs=1e-6)
    with pytest.raises(TypeError, match="trace_backward: root must be a Value"):
        trace_backward(1.0)


def test_format_step_is_one_block_of_format(mazur_net):
    trace = trace_backward(mazur_net[1]["E_total"])
    step = next(s for s in trace if s.name == "out_o1")
    assert trace.format_step(step, 4) == ("out_o1 = sigmoid(net_o1):  ∂E_total/∂out_o1 = 0.7414\n"
                                          "     ∂E_total/∂net_o1 += ∂E_total/∂out_o1 × ∂out_o1/∂net_o1 = "
                                          "0.7414 × 0.1868 = 0.1385  → 0.1385")
    k = trace.steps.index(step) + 1
    assert f"{k}. {trace.format_step(step)}" in trace.format()


# ---- backward_source -------------------------------------------------------------------------------------------
def test_backward_source_runs_to_the_engines_gradients(mazur_net):
    from micrograd_lite.explain import backward_source
    from micrograd_lite.compiler.runtime import NAMESPACE

    p, nodes = mazur_net
    src = backward_source(nodes["E_total"], decimals=9)
    assert re.search(r"\ngrad_w1 = i1 \* grad_net_h1 +# 0\.000438568\n", src)  # comments aligned to the longest line
    env = dict(NAMESPACE)
    exec(src, env)  # the listing is runnable Python: its gradients are backward()'s
    for k, v in p.items():
        assert env[f"grad_{k}"] == v.grad


def test_backward_source_shows_branches_with_their_outcome():
    from micrograd_lite.explain import backward_source

    x = Value(0.5, label="x")
    src = backward_source((x * 2.0 - 3.0).relu() + abs(x))
    assert "if sub4 > 0.0:\n    grad_sub4 += grad_relu5\n# now grad_sub4 = 0.000000" in src
    assert src.rstrip().endswith("grad_x += 2.0 * grad_mul2             # 1.000000")


def test_backward_source_errors():
    from micrograd_lite.explain import backward_source

    with pytest.raises(TypeError, match="backward_source: root must be a Value"):
        backward_source(1.0)
    with pytest.raises(ValueError, match="is a leaf"):
        backward_source(Value(1.0))
    with pytest.raises(ValueError, match="no leaf is a variable"):
        backward_source(Value(1.0) * 2.0)
