"""The engine: every op's value and derivative against its hand formula and central differences,
graph traversal, accumulation, and the bad-input errors."""

import gc
import math

import pytest

from micrograd_lite import Value, no_grad, topological_order
from micrograd_lite.gradcheck import numerical_grad


def sig(x):
    return 1.0 / (1.0 + math.exp(-x))


# (name, function of Values, input points, hand value, hand derivatives): each op's calculus stated here
# independently of the engine, so a wrong derivative in the engine cannot pass by agreeing with itself.
OPS = [
    ("add", lambda a, b: a + b, [(1.5, -2.0)], lambda a, b: a + b, lambda a, b: [1.0, 1.0]),
    ("sub", lambda a, b: a - b, [(1.5, -2.0)], lambda a, b: a - b, lambda a, b: [1.0, -1.0]),
    ("mul", lambda a, b: a * b, [(1.5, -2.0), (0.0, 3.0)], lambda a, b: a * b, lambda a, b: [b, a]),
    ("div", lambda a, b: a / b, [(1.5, -2.0), (-3.0, 0.25)], lambda a, b: a / b,
     lambda a, b: [1 / b, -a / b**2]),
    ("neg", lambda a: -a, [(0.7,)], lambda a: -a, lambda a: [-1.0]),
    ("pow_number", lambda a: a**3, [(1.2,), (-0.8,)], lambda a: a**3, lambda a: [3 * a**2]),
    ("pow_fraction", lambda a: a**0.5, [(2.0,)], lambda a: a**0.5, lambda a: [0.5 * a**-0.5]),
    ("pow_negative", lambda a: a**-2, [(1.7,)], lambda a: a**-2, lambda a: [-2 * a**-3]),
    ("pow_value", lambda a, b: a**b, [(1.3, 2.2), (0.4, -1.5)], lambda a, b: a**b,
     lambda a, b: [b * a ** (b - 1), a**b * math.log(a)]),
    ("exp", lambda a: a.exp(), [(0.3,), (-2.0,)], math.exp, lambda a: [math.exp(a)]),
    ("log", lambda a: a.log(), [(0.3,), (5.0,)], math.log, lambda a: [1 / a]),
    ("tanh", lambda a: a.tanh(), [(0.3,), (-1.7,)], math.tanh, lambda a: [1 - math.tanh(a) ** 2]),
    ("sigmoid", lambda a: a.sigmoid(), [(0.3,), (-4.0,)], sig, lambda a: [sig(a) * (1 - sig(a))]),
    ("relu", lambda a: a.relu(), [(0.3,), (-0.4,)], lambda a: max(a, 0.0), lambda a: [float(a > 0)]),
    ("sum", lambda a, b, c: Value.sum([a, b, c], 2.0), [(1.0, -2.0, 0.5)], lambda a, b, c: a + b + c + 2,
     lambda a, b, c: [1.0, 1.0, 1.0]),
    ("dot", lambda w1, w2, x1, x2, b: Value.dot([w1, w2], [x1, x2], b), [(0.1, -0.2, 0.3, 0.4, 0.5)],
     lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b, lambda w1, w2, x1, x2, b: [x1, x2, w1, w2, 1.0]),
    ("logsumexp", lambda a, b: Value.logsumexp([a, b]), [(0.2, -1.1)],
     lambda a, b: math.log(math.exp(a) + math.exp(b)),
     lambda a, b: [math.exp(a) / (math.exp(a) + math.exp(b)), math.exp(b) / (math.exp(a) + math.exp(b))]),
]
CASES = [pytest.param(f, x, fv, fd, id=f"{name}{x}") for name, f, xs, fv, fd in OPS for x in xs]


@pytest.mark.parametrize("f, x, value, derivative", CASES)
def test_op_matches_hand_formula(f, x, value, derivative):
    inputs = [Value(v) for v in x]
    out = f(*inputs)
    out.backward()
    assert out.data == pytest.approx(value(*x), rel=1e-12, abs=1e-15)
    assert [v.grad for v in inputs] == pytest.approx(derivative(*x), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("f, x, value, derivative", CASES)
def test_op_matches_central_differences(f, x, value, derivative):
    inputs = [Value(v) for v in x]
    f(*inputs).backward()
    assert [v.grad for v in inputs] == pytest.approx(numerical_grad(f, x), rel=1e-6, abs=1e-7)


def test_number_operands_on_either_side():
    a = Value(3.0)
    for expr, expected, grad in [(2 + a, 5.0, 1.0), (a + 2, 5.0, 1.0), (10 - a, 7.0, -1.0), (a - 1, 2.0, 1.0),
                                 (2 * a, 6.0, 2.0), (a * 2, 6.0, 2.0), (6 / a, 2.0, -6 / 9), (a / 2, 1.5, 0.5),
                                 (2**a, 8.0, 8 * math.log(2)), (a**2, 9.0, 6.0)]:
        a.grad = 0.0
        expr.backward()
        assert expr.data == pytest.approx(expected)
        assert a.grad == pytest.approx(grad)


def test_saturating_functions_never_overflow():
    for x, t in [(1000.0, 1.0), (-1000.0, -1.0)]:
        v = Value(x)
        y = v.tanh()
        y.backward()
        assert (y.data, v.grad) == (t, 0.0)
    v = Value(-1000.0)
    y = v.sigmoid()
    y.backward()
    assert (y.data, v.grad) == (0.0, 0.0)
    v = Value(1000.0)
    y = v.sigmoid()
    y.backward()
    assert (y.data, v.grad) == (1.0, 0.0)


def test_gradients_accumulate_through_shared_subexpressions():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0  # 2a
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0


def test_backward_twice_doubles_leaf_grads_and_zero_grad_resets():
    a, b = Value(2.0), Value(-3.0)
    h = (a * b).tanh()
    y = h * a
    y.backward()
    first = (a.grad, b.grad, h.grad)
    y.backward()
    assert [a.grad, b.grad] == pytest.approx([2 * first[0], 2 * first[1]], rel=1e-15)
    assert h.grad == first[2]  # an interior node holds the latest call's gradient, not a running sum
    y.zero_grad()
    assert (a.grad, b.grad, h.grad, y.grad) == (0.0, 0.0, 0.0, 0.0)


def test_backward_with_a_gradient_seed():
    a = Value(2.0)
    (a * 3).backward(gradient=0.5)
    assert a.grad == 1.5
    with pytest.raises(TypeError, match="backward gradient.*str"):
        (a * 3).backward(gradient="1")


def test_million_node_chain_backpropagates():
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_square_gradient_is_exactly_2x():
    # x ** 2 has its own fast path in the backward; it must give what the general rule k x^(k-1) gives.
    for x in [0.7, -1.3, 0.0, 1e-200, 3e150]:
        v = Value(x)
        (v ** 2).backward()
        assert v.grad == 2.0 * x ** 1.0


def test_numbers_of_every_kind_become_floats():
    class MyFloat(float):
        pass
    for x, expected in [(3, 3.0), (2.5, 2.5), (MyFloat(1.5), 1.5), (-0, 0.0)]:
        for v in [Value(x), Value(1.0) * x, Value.dot([x], [1.0])]:
            assert type(v.data) is float and v.data == expected


def test_topological_order_lists_each_node_once_parents_first():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert len(order) == len(set(map(id, order)))
    pos = {id(n): i for i, n in enumerate(order)}
    for n in order:
        assert all(pos[id(p)] < pos[id(n)] for p in n.parents)
    assert order[-1] is e and {id(a), id(b), id(c), id(d)} <= set(pos)
    assert [n.label for n in topological_order(e)] == [n.label for n in order]  # deterministic
    assert all(n.parents for n in topological_order(e, leaves=False))


def test_graph_has_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        a = Value(1.0)
        y = ((a * 2).tanh() + a).exp()
        y.backward()
        del a, y
        assert gc.collect() == 0  # reference counting freed the whole graph: nothing left for the collector
    finally:
        gc.enable()


def test_no_grad_builds_no_graph():
    a = Value(2.0)
    with no_grad():
        y = (a * a).exp()
    assert y.parents == () and y.op == ""
    assert (a * a).parents == (a, a)  # recording is back on after the block


def test_repr_shows_label_data_and_grad():
    assert repr(Value(0.4, label="w5")) == "Value(label='w5', data=0.4, grad=0.0)"
    assert repr(Value(2)) == "Value(data=2.0, grad=0.0)"


@pytest.mark.parametrize("bad", ["a", None, True, 1j, [1.0]])
def test_non_numbers_are_rejected_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(1.0) * bad


def test_domain_errors_name_the_op_and_value():
    with pytest.raises(ValueError, match=r"log: .*-2\.0"):
        Value(-2.0).log()
    with pytest.raises(ValueError, match=r"log: .*0\.0"):
        Value(0.0).log()
    with pytest.raises(ZeroDivisionError, match=r"\*\*: .*0\.0 \*\* -1\.0"):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError, match=r"/: .*1\.0 / 0\.0"):
        Value(1.0) / 0
    with pytest.raises(ValueError, match=r"\*\*: .*-8\.0 \*\* 0\.5"):
        Value(-8.0) ** 0.5
    with pytest.raises(OverflowError, match=r"exp: .*1000\.0"):
        Value(1000.0).exp()
    with pytest.raises(OverflowError, match=r"\*\*: .*1e\+200 \*\* 2\.0"):
        Value(1e200) ** 2
