"""micrograd_lite.compile: the compiled step gives the engine's loss and gradients (to 1e-12 relative; in
practice the same floats) on the demo networks and on random expression DAGs of every op, its source reads
as the notes do, and whatever it cannot compile raises CompileError with a message naming the problem."""

import math
import random
import sys

import pytest
from hypothesis import given

from demos import mazur
from demos.truth_table import CONTEXTS, TruthTableNet, target
from micrograd_lite import (MLP, SGD, CompileError, Embedding, Layer, Value, compile, cross_entropy,
                            topological_order)
from micrograd_lite import ops
from micrograd_lite.compiler import codegen, trace
from micrograd_lite.compiler.names import grad_name
from micrograd_lite.compiler.rules import Branch
from test_properties import cases  # the random expression DAGs of every op (tests/test_properties.py)


def close(a, b, rel=1e-12):
    return a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= rel * max(abs(a), abs(b))


def engine_grads(fn, params, *args):
    """(loss, [grad of each parameter]) by the engine, the parameters' grads left as they were."""
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    out = fn(*args)
    out.backward()
    grads = [p.grad for p in params]
    for p, g in zip(params, saved):
        p.grad = g
    return out.data, grads


def assert_matches_engine(fn, params, *args, step=None):
    """Compile fn (unless `step` is given), run it from zero grads and compare with the engine."""
    step = step or compile(fn, *args)
    assert set(step.params) <= set(params)
    loss, grads = engine_grads(fn, params, *[_values(a) for a in args])
    for p in params:
        p.grad = 0.0
    got = step(*args)
    assert close(got, loss), (got, loss)
    assert close(step.forward(*args), loss)
    for p, g in zip(params, grads):
        assert close(p.grad, g), (p.label, p.grad, g)
    return step


def _values(a):
    return [_values(x) for x in a] if isinstance(a, list) else Value(a)


# ---- the demo networks ----------------------------------------------------------------------------------------
def test_mazur_gradients_and_source():
    p = mazur.make_params()
    step = assert_matches_engine(lambda: mazur.forward(p)["E_total"], list(p.values()))
    src = step.source
    # the notes' names, one statement per op, each backward block naming the forward line it differentiates
    assert "out_h1 = sigmoid(net_h1)" in src
    # Python 3.12's sum() of floats is compensated (Neumaier): the engine's dot calls it, and so does the code
    assert ("net_o1 = w5 * out_h1 + w6 * out_h2 + b2" if sys.version_info < (3, 12)
            else "net_o1 = sum((w5 * out_h1, w6 * out_h2,), 0.0) + b2") in src
    assert "# backward of: out_o1 = sigmoid(net_o1)\n    grad_net_o1 = out_o1 * (1.0 - out_o1) * grad_out_o1" in src
    assert "grad_w5 += out_h1 * grad_net_o1" in src
    assert "i1 = 0.05" in src  # a labelled constant keeps its name


def test_mazur_training_with_sgd_is_the_engines():
    """The step reads the parameters' current data, so SGD trains as with backward()."""
    p, q = mazur.make_params(), mazur.make_params()
    step = compile(lambda: mazur.forward(p)["E_total"])
    opt_p, opt_q = SGD(list(p.values()), lr=0.5), SGD(list(q.values()), lr=0.5)
    for _ in range(20):
        opt_p.zero_grad()
        step()
        opt_p.step()
        opt_q.zero_grad()
        mazur.forward(q)["E_total"].backward()
        opt_q.step()
    assert [v.data for v in p.values()] == [v.data for v in q.values()]


def test_moons_network_with_inputs_as_arguments():
    rng = random.Random(0)
    model = MLP(2, [8, 8, 1], activation="relu", rng=rng)
    X = [[rng.uniform(-1, 2), rng.uniform(-1, 1)] for _ in range(12)]
    y = [rng.choice((-1, 1)) for _ in X]

    def loss(X):
        scores = [model(row)[0] for row in X]
        data = Value.sum([(1 - yi * si).relu() for yi, si in zip(y, scores)]) * (1.0 / len(scores))
        return data + 1e-4 * Value.sum([w * w for w in model.parameters()])
    step = assert_matches_engine(loss, model.parameters(), X)
    assert "if " in step.source  # relu's branch is compiled, not frozen
    # other points, other relu patterns: the same step stays right
    for _ in range(3):
        X2 = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in X]
        assert_matches_engine(loss, model.parameters(), X2, step=step)


def test_makemore_network():
    rng = random.Random(1)
    emb, hidden, out = Embedding(27, 2, rng=rng), Layer(6, 8, "tanh", rng=rng), Layer(8, 27, "linear", rng=rng)
    params = emb.parameters() + hidden.parameters() + out.parameters()
    X = [[rng.randrange(27) for _ in range(3)] for _ in range(4)]
    Y = [rng.randrange(27) for _ in range(4)]
    assert_matches_engine(lambda: cross_entropy([out(hidden(x)) for x in emb.lookup(X)], Y), params)


def test_truth_table_network():
    net = TruthTableNet(rng=0)

    def loss():
        return cross_entropy([net.forward(c)["RAW"] for c in CONTEXTS], [target("xor", c) for c in CONTEXTS])
    step = assert_matches_engine(loss, net.parameters())
    assert "HW_0_1" in step.source  # the label HW[0][1] as a name


# ---- random expression DAGs of every op -------------------------------------------------------------------------
@given(case=cases)
def test_random_dag_gradients_equal_the_engines(case):
    params = [Value(x, label=f"x{i}") for i, x in enumerate(case.inputs)]
    assert_matches_engine(lambda: case(*params), params)


@given(case=cases)
def test_random_dag_compiled_at_one_point_is_right_at_another(case):
    """Inputs as arguments, one parameter scaling the result: compiled at the drawn point, run at another
    (where relu and abs may take their other branch)."""
    w = Value(1.5, label="w")
    fn = lambda *xs: case(*xs) * w  # noqa: E731
    step = compile(fn, *case.inputs)
    other = [-x + 0.25 for x in case.inputs]
    try:
        loss, grads = engine_grads(fn, [w], *[Value(x) for x in other])
    except (ValueError, ZeroDivisionError, OverflowError):
        return  # outside an op's domain there: nothing to compare
    w.grad = 0.0
    assert close(step(*other), loss)
    assert close(w.grad, grads[0])


# ---- the source ---------------------------------------------------------------------------------------------------
def test_every_backward_term_is_the_closures():
    """The power rule's edge cases come from the closure: power_of where 0 ** negative must give inf."""
    x = Value(0.0, label="x")
    step = compile(lambda: (x + 0.0) ** 0.5 + x * 1.0)
    assert "grad_add2 = 0.5 * power_of(add2, -0.5) * grad_pow4" in step.source
    _, grads = engine_grads(lambda: (x + 0.0) ** 0.5 + x * 1.0, [x])
    x.grad = 0.0
    step()
    assert x.grad == grads[0] == math.inf


def test_value_exponent_compiles_log_from_the_closure():
    b, k = Value(1.7, label="b"), Value(2.5, label="k")
    step = assert_matches_engine(lambda: b ** k, [b, k])
    assert "log(b)" in step.source


# ---- the template cache: each closure runs once per signature, its terms filled with each node's names -----------
def _uncached_source(trace):
    """The backward terms of every node with each closure run afresh (no template shared): the reference."""
    needed = codegen.needs_grad(trace)
    return [_show(codegen.backward_terms(n, trace, needed)) for n in reversed(trace.order) if n in needed
            and n.parents]


def _show(tree):
    if isinstance(tree, Branch):
        return (tree.cond, _show(tree.then), _show(tree.otherwise))
    return [(id(target), sign, term.text) for target, sign, term in tree]


def _cached_source(trace, templates):
    needed = codegen.needs_grad(trace)
    return [_show(codegen.backward_terms(n, trace, needed, templates)) for n in reversed(trace.order)
            if n in needed and n.parents]


def test_two_nodes_of_one_op_and_shape_share_a_template():
    a, b, c, d = (Value(v, label=k) for v, k in zip((1.5, -2.0, 0.25, 3.0), "abcd"))
    t = trace(lambda: a * b + c * d, ())
    templates = {}
    terms = _cached_source(t, templates)
    assert len(templates) == 2  # one for the two products, one for the sum
    assert terms == _uncached_source(t)
    names = t.names
    product = [n for n in t.order if n.op == "*"]
    assert codegen.backward_terms(product[1], t, codegen.needs_grad(t), templates)[0][2].text == \
        f"d * {grad_name(names[product[1]])}"


def test_a_shared_operand_gets_its_own_template():
    """x * x and x * y are one op and shape but not one signature: x * x adds both terms to x."""
    x, y = Value(1.5, label="x"), Value(-0.5, label="y")
    fn = lambda: x * x + x * y + y * y
    t = trace(fn, ())
    assert _cached_source(t, {}) == _uncached_source(t)
    assert_matches_engine(fn, [x, y])


def _many(fn, k=3):
    """k copies of fn's node on shifted operands, summed: every signature but the first hits the cache."""
    return lambda *xs: Value.sum([fn(*xs, i) for i in range(k)])


@pytest.mark.parametrize("name, fn, values", [
    ("relu branch", lambda x, y, i: (x * (i - 1.0)).relu() * y, (0.7, 1.3)),
    ("abs branch", lambda x, y, i: abs(x * (i - 1.0)) * y, (0.7, -1.3)),
    ("constant exponent inf", lambda x, y, i: (x * 0.5 + 0.25 * i) ** math.inf + y, (0.9, 1.0)),
    ("constant exponent nan", lambda x, y, i: (x + i) ** math.nan + y * x, (0.9, 1.0)),
    ("constant exponent 2 and 0.5", lambda x, y, i: (x + i) ** 2 + (y * y + i) ** 0.5, (0.9, 1.1)),
    ("value exponent", lambda x, y, i: (x + i) ** y, (0.9, 1.7)),
    ("logsumexp temporaries", lambda x, y, i: Value.logsumexp([x, y * i, x * y, -x]), (0.3, -1.2)),
    ("dot with bias", lambda x, y, i: Value.dot([x, y, 2.0], [y, x * i, x], bias=y - i), (0.3, -1.2)),
    ("dot of shared operands", lambda x, y, i: Value.dot([x, x, y], [x, y, y]) * i, (0.3, -1.2)),
    ("sum with a start", lambda x, y, i: Value.sum([x, y * i, x], start=0.5), (0.3, -1.2)),
    ("sum with a Value start", lambda x, y, i: Value.sum([x, x], start=y * i), (0.3, -1.2)),
    ("division and neg", lambda x, y, i: -(x / (y + i)) - y / x, (0.3, -1.2)),
])
def test_awkward_ops_through_the_cache_equal_the_engine(name, fn, values):
    for sign in (1.0, -1.0, 0.0):  # both ways through relu's and abs's branches, and the kink
        x, y = Value(values[0] * sign, label="x"), Value(values[1], label="y")
        f = _many(lambda x_, y_, i: fn(x_, y_, i))
        try:
            f(x, y).backward()
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        g = lambda: f(x, y)
        t = trace(g, ())
        templates = {}
        assert _cached_source(t, templates) == _uncached_source(t), name
        assert len(templates) < sum(1 for n in t.order if n.parents), name  # the cache was used
        assert_matches_engine(g, [x, y])


def test_the_forward_is_written_once():
    """forward() is the step without its backward pass: each forward line appears once in the source."""
    p = mazur.make_params()
    step = assert_matches_engine(lambda: mazur.forward(p)["E_total"], list(p.values()))
    assert step.source.splitlines().count("    out_h1 = sigmoid(net_h1)") == 1
    assert step.source.count("def ") == 2 and "return step(P, X, False)" in step.source


def test_a_long_forward_line_is_named_not_quoted_in_the_comments():
    w = [Value(0.01 * i, label=f"w{i}") for i in range(40)]
    fn = lambda xs: Value.dot(w, xs).tanh()
    step = assert_matches_engine(fn, w, [0.5] * 40)
    comments = [line for line in step.source.splitlines() if "# backward of:" in line]
    assert all(len(line) < 120 for line in comments)
    assert any("(dot of 80)" in line for line in comments)


def test_a_node_labelled_backward_does_not_shadow_the_steps_argument():
    w = Value(0.5, label="backward")
    step = assert_matches_engine(lambda x: (w * x).tanh(), [w], 2.0)
    assert "backward_2" in step.source


# ---- errors ------------------------------------------------------------------------------------------------------
def test_errors_name_the_problem():
    w = Value(2.0, label="w")
    with pytest.raises(CompileError, match="fn must be callable"):
        compile(3)
    with pytest.raises(CompileError, match=r"argument 0\[1\] must be a number .*str"):
        compile(lambda xs: xs[0] * w, [1.0, "a"])
    with pytest.raises(CompileError, match=r"argument 0 must be .*pass its .data"):
        compile(lambda x: x * w, Value(1.0))
    with pytest.raises(CompileError, match="must return one Value"):
        compile(lambda: [w * 2])
    with pytest.raises(CompileError, match="returned a leaf"):
        compile(lambda: w)
    with pytest.raises(CompileError, match="no parameters"):
        compile(lambda x: x * 2.0, 1.0)


def test_a_function_that_changes_between_calls_is_refused():
    w = Value(2.0)
    with pytest.raises(CompileError, match="different graphs: node .* holding"):
        compile(lambda: w * random.random())
    calls = []

    def grows():
        calls.append(1)
        out = w * 1.0
        for _ in calls:
            out = out * w
        return out
    with pytest.raises(CompileError, match="different graphs"):
        compile(grows)


def test_arguments_of_another_structure_are_refused():
    w = Value(2.0)
    step = compile(lambda xs, y: Value.sum(xs) * w + y, [1.0, 2.0], 3.0)
    with pytest.raises(CompileError, match=r"structure \(\[x, x, x\], x\) differs from the example's \(\[x, x\], x\)"):
        step([1.0, 2.0, 3.0], 1.0)
    with pytest.raises(CompileError, match="argument 1 must be"):
        step([1.0, 2.0], None)


def test_an_unknown_op_is_refused():
    w = Value(2.0)

    def fn():
        out = w * 3.0
        out.op = "mystery"
        return out
    with pytest.raises(CompileError, match="op 'mystery'"):
        compile(fn)


def test_a_closure_binding_what_the_table_does_not_describe_is_refused(monkeypatch):
    monkeypatch.setitem(ops.OPS, "tanh", ops.OPS["tanh"]._replace(saved=()))  # a row that forgot `out`
    w = Value(0.5)
    with pytest.raises(CompileError, match=r"op 'tanh': its backward reads out = .* its row in micrograd_lite.ops"):
        compile(lambda: w.tanh())


# ---- check=True ----------------------------------------------------------------------------------------------------
def test_check_catches_a_data_dependent_branch():
    w = Value(3.0, label="w")

    def fn(x):
        return x * w if x.data > 0 else x * w * w  # a branch on data: two graphs
    step = compile(fn, 1.0, check=True)
    assert step(2.0) == 6.0 and w.grad == 2.0
    with pytest.raises(CompileError, match=r"node 3 is \* of nodes 2, 1 in one only"):
        step(-1.0)
    assert w.grad == 2.0  # nothing accumulated by the failed call


def test_check_catches_a_constant_computed_from_data():
    w = Value(3.0, label="w")
    step = compile(lambda x: (x * w) - max(x.data, 1.0), 1.0, check=True)
    step(0.5)  # max is 1.0 at both points
    with pytest.raises(CompileError, match="holding 2.0"):
        step(2.0)


def test_check_passes_on_a_static_graph_and_gives_the_engines_gradients():
    rng = random.Random(3)
    model = MLP(2, [4, 1], activation="relu", rng=rng)
    fn = lambda x: (model(x)[0] - 1.0) ** 2  # noqa: E731
    step = compile(fn, [0.5, -0.5], check=True)
    for _ in range(5):
        x = [rng.uniform(-2, 2), rng.uniform(-2, 2)]
        loss, grads = engine_grads(fn, model.parameters(), _values(x))
        model.zero_grad()
        assert close(step(x), loss)
        assert all(close(p.grad, g) for p, g in zip(model.parameters(), grads))


def test_step_repr_and_trace():
    w = Value(2.0, label="w")
    step = compile(lambda x: x * w, 1.0)
    assert repr(step).startswith("Step(1 ops, 1 parameters, 1 inputs")
    assert step.params == [w] and len(topological_order(step.trace.root)) == 3


# ---- special constants, sum starts, long sums --------------------------------------------------------------
@pytest.mark.parametrize("k", [math.inf, -math.inf, math.nan, 0.5, -2.0])
def test_a_special_constant_exponent_compiles_to_the_engines_numbers(k):
    w = Value(2.0, label="w")
    for x in (0.3, 1.0, 2.0):
        assert_matches_engine(lambda v: (w * v) ** k, [w], x)


@pytest.mark.parametrize("start", [1.5, -0.0, math.nan, math.inf])
def test_a_sum_start_is_kept_even_when_traced_on_nan(start):
    w = Value(2.0, label="w")

    def fn(x):
        return Value.sum([w * x, w], start=start)
    step = compile(fn, math.nan)  # traced where every value is NaN: the start is a parent, not a difference
    for x in (1.0, -3.0):
        assert_matches_engine(fn, [w], x, step=step)


def test_sums_and_dots_of_10000_terms_compile():
    """A long sum is a flat sum() call, not 10,000 nested additions (compiling those raises RecursionError
    before Python 3.12)."""
    rng = random.Random(0)
    ws = [Value(rng.uniform(-1, 1)) for _ in range(10000)]
    xs = [rng.uniform(-1, 1) for _ in range(10000)]

    def fn(v):
        return Value.sum([w * x for w, x in zip(ws, v)]) + Value.dot(ws, v, 0.5) + Value.sum(v, start=0.25) * ws[0]
    assert_matches_engine(fn, ws, xs)
