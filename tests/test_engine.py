"""The engine: every op's value and derivative against its hand formula and central differences,
graph traversal, accumulation, the bad-input errors (asserted on their text), fuzzing of every op with
extreme inputs, detect_anomaly and no_grad."""

import contextlib
import gc
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_lite import Value, detect_anomaly, no_grad, topological_order
from micrograd_lite.gradcheck import gradcheck


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
    ("sqrt", lambda a: a.sqrt(), [(2.0,), (0.09,)], math.sqrt, lambda a: [0.5 / math.sqrt(a)]),
    ("abs", lambda a: abs(a), [(1.5,), (-0.4,)], abs, lambda a: [1.0 if a > 0 else -1.0]),
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
    # atol + rtol |numeric| with these is never looser than the earlier approx(rel=1e-6, abs=1e-7)
    assert gradcheck(f, x, atol=5e-8, rtol=5e-7)


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



# ---- every error message, on its text ------------------------------------------------------------------
# (expression, exception, the whole message as a regex): the message must name the op and the operand.
ERRORS = [
    (lambda: Value(-2.0).log(), ValueError, r"log: argument must be > 0, got -2\.0"),
    (lambda: Value(0.0).log(), ValueError, r"log: argument must be > 0, got 0\.0"),
    (lambda: Value(-0.0).log(), ValueError, r"log: argument must be > 0, got -0\.0"),
    (lambda: Value(-math.inf).log(), ValueError, r"log: argument must be > 0, got -inf"),
    (lambda: Value(0.0) ** -1, ZeroDivisionError,
     r"\*\*: 0\.0 cannot be raised to a negative power \(0\.0 \*\* -1\.0\)"),
    (lambda: Value(-0.0) ** Value(-0.5), ZeroDivisionError,
     r"\*\*: 0\.0 cannot be raised to a negative power \(-0\.0 \*\* -0\.5\)"),
    (lambda: 0 ** Value(-2.0), ZeroDivisionError,
     r"\*\*: 0\.0 cannot be raised to a negative power \(0\.0 \*\* -2\.0\)"),
    (lambda: Value(1.0) / 0, ZeroDivisionError, r"/: division by zero \(1\.0 / 0\.0\)"),
    (lambda: 3 / Value(-0.0), ZeroDivisionError, r"/: division by zero \(3\.0 / -0\.0\)"),
    (lambda: Value(math.nan) / Value(0.0), ZeroDivisionError, r"/: division by zero \(nan / 0\.0\)"),
    (lambda: Value(-8.0) ** 0.5, ValueError,
     r"\*\*: a negative base to a non-integer power has no real value \(-8\.0 \*\* 0\.5\)"),
    (lambda: Value(-8.0) ** Value(1 / 3), ValueError,
     r"\*\*: a negative base to a non-integer power has no real value \(-8\.0 \*\* 0\.3333333333333333\)"),
    (lambda: (-8) ** Value(0.5), ValueError,
     r"\*\*: a negative base to a non-integer power has no real value \(-8\.0 \*\* 0\.5\)"),
    (lambda: Value(-math.inf) ** 0.5, ValueError,
     r"\*\*: a negative base to a non-integer power has no real value \(-inf \*\* 0\.5\)"),
    (lambda: Value(1000.0).exp(), OverflowError, r"exp: result out of float range for exp\(1000\.0\)"),
    (lambda: Value(1e200) ** 2, OverflowError, r"\*\*: result out of float range for 1e\+200 \*\* 2\.0"),
    (lambda: Value(1e200) ** Value(2.0), OverflowError,
     r"\*\*: result out of float range for 1e\+200 \*\* 2\.0"),
    (lambda: 10 ** Value(400), OverflowError, r"\*\*: result out of float range for 10\.0 \*\* 400\.0"),
    (lambda: Value(0.5) ** -1e308, OverflowError, r"\*\*: result out of float range for 0\.5 \*\* -1e\+308"),
    (lambda: Value(10**400), OverflowError, r"Value: 10{56}\.\.\. is out of float range"),
    (lambda: Value(1.0) + -10**400, OverflowError, r"\+: -10{55}\.\.\. is out of float range"),
    (lambda: Value(2.0) ** 10**5000, OverflowError, r"\*\*: <int too large to print> is out of float range"),
    (lambda: Value("a"), TypeError, r"Value: expected an int or float, got str 'a'"),
    (lambda: Value(True), TypeError, r"Value: expected an int or float, got bool True"),
    (lambda: Value(Value(1.0)), TypeError, r"Value: expected an int or float, got Value Value\(data=1\.0, grad=0\.0\)"),
    (lambda: Value(1.0) * [1.0], TypeError, r"\*: expected an int, float or Value, got list \[1\.0\]"),
    (lambda: None - Value(1.0), TypeError, r"-: expected an int, float or Value, got NoneType None"),
    (lambda: Value(1.0) ** 2j, TypeError, r"\*\*: expected an int, float or Value, got complex 2j"),
    (lambda: Value(1.0) / ("x" * 100), TypeError, r"/: expected an int, float or Value, got str 'x{56}\.\.\."),
    (lambda: Value.sum([Value(1.0)], start="0"), TypeError, r"Value\.sum start: expected an int, float or Value, got str '0'"),
    (lambda: Value.dot([1.0], [Value(1.0)], bias=False), TypeError,
     r"Value\.dot bias: expected an int, float or Value, got bool False"),
    (lambda: Value.logsumexp([Value(1.0), "2"]), TypeError, r"Value\.logsumexp: expected an int, float or Value, got str '2'"),
    (lambda: Value.dot([1.0, 2.0], [Value(1.0)]), ValueError, r"Value\.dot: 2 weights but 1 inputs"),
    (lambda: Value.logsumexp([]), ValueError, r"Value\.logsumexp: needs at least one value"),
    (lambda: (Value(2.0) * 3).backward(gradient=[1.0]), TypeError,
     r"backward gradient: expected an int or float, got list \[1\.0\]"),
    (lambda: (Value(2.0) * 3).backward(gradient=Value(1.0)), TypeError,
     r"backward gradient: expected an int or float, got Value Value\(data=1\.0, grad=0\.0\)"),
    (lambda: Value(2.0).backward(gradient=None), TypeError,
     r"backward gradient: expected an int or float, got NoneType None"),
]


@pytest.mark.parametrize("expr, error, message", [pytest.param(*e, id=e[2][:40]) for e in ERRORS])
def test_error_messages_name_the_op_and_the_operand(expr, error, message):
    with pytest.raises(error) as info:
        expr()
    assert type(info.value) is error  # not merely a subclass: e.g. never a FloatingPointError
    assert re.fullmatch(message, str(info.value)), str(info.value)


@pytest.mark.parametrize("bad", ["a", None, True, 1j, [1.0], (1.0,), {"x": 1.0}, b"1"])
@pytest.mark.parametrize("op, use", [
    ("+", lambda v, b: v + b), ("+", lambda v, b: b + v), ("-", lambda v, b: v - b), ("-", lambda v, b: b - v),
    ("*", lambda v, b: v * b), ("*", lambda v, b: b * v), ("/", lambda v, b: v / b), ("/", lambda v, b: b / v),
    ("**", lambda v, b: v ** b), ("**", lambda v, b: b ** v), ("Value.sum", lambda v, b: Value.sum([v, b])),
    ("Value.sum start", lambda v, b: Value.sum([v], start=b)),
    ("Value.dot inputs", lambda v, b: Value.dot([v], [b])), ("Value.dot weights", lambda v, b: Value.dot([b], [v])),
    ("Value.logsumexp", lambda v, b: Value.logsumexp([v, b])),
])
def test_every_operand_of_every_op_is_type_checked(op, use, bad):
    with pytest.raises(TypeError) as info:
        use(Value(1.0), bad)
    assert str(info.value).startswith(f"{op}: expected an int, float or Value, got {type(bad).__name__} ")


def test_empty_dot_is_a_float_zero():
    out = Value.dot([], [])
    assert type(out.data) is float and out.data == 0.0


def test_power_derivative_past_the_float_range_has_the_right_sign():
    # x^-4 is finite at |x| = 1e-77 but x^-5 is not: d(x^-4)/dx = -4 x^-5 is -inf for x > 0, +inf for x < 0.
    for x, expected in [(1e-77, -math.inf), (-1e-77, math.inf)]:
        v = Value(x)
        y = v ** -4
        y.backward()
        assert math.isfinite(y.data) and v.grad == expected


def test_nan_and_inf_propagate_by_ieee_rules():
    assert math.isnan((Value(math.nan) * 2).data)
    assert (Value(1e308) * 10).data == math.inf  # + - * / overflow to inf, as Python floats do
    assert (Value(math.inf) + 1).data == math.inf
    assert math.isnan((Value(math.inf) - math.inf).data)
    assert math.isnan(Value(math.nan).log().data) and math.isnan(Value(math.nan).exp().data)
    assert math.isnan(Value(math.nan).relu().data) and math.isnan(Value(math.nan).sigmoid().data)
    assert Value(-math.inf).exp().data == 0.0 and Value(math.inf).tanh().data == 1.0
    x = Value(0.0)
    (x ** 0.5).backward()  # d sqrt(x)/dx at 0 is +inf, as in PyTorch
    assert x.grad == math.inf


# ---- fuzzing: extreme and odd inputs never escape as an undocumented exception --------------------------
DOCUMENTED = (TypeError, ValueError, ZeroDivisionError, OverflowError)
EXTREMES = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1e-77, 0.5, 1.0, -1.0, 2.0, -2.0,
            3.0, -3.0, 1 / 3, 700.0, 710.0, -745.0, 1e16, 1e200, -1e200, 1e308, -1e308,
            1.7976931348623157e308, -1.7976931348623157e308, math.inf, -math.inf, math.nan, -math.nan]
NUMBERS = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(),  # every float: NaN, +-inf, subnormals, +-0.0
    st.integers(-(2**70), 2**70),
    st.sampled_from([10**400, -(10**400), 2**1024, 2**1023]),  # ints past (and at) the float range
)
# name -> (the engine's name for the op, how the fuzzed operands a (a Value) and b are used)
FUZZ_OPS = {
    "add": ("+", lambda a, b: a + b), "radd": ("+", lambda a, b: b + a),
    "sub": ("-", lambda a, b: a - b), "rsub": ("-", lambda a, b: b - a),
    "mul": ("*", lambda a, b: a * b), "rmul": ("*", lambda a, b: b * a),
    "div": ("/", lambda a, b: a / b), "rdiv": ("/", lambda a, b: b / a),
    "pow": ("**", lambda a, b: a ** b), "rpow": ("**", lambda a, b: b ** a),
    "neg": ("neg", lambda a, b: -a), "exp": ("exp", lambda a, b: a.exp()), "log": ("log", lambda a, b: a.log()),
    "tanh": ("tanh", lambda a, b: a.tanh()), "sigmoid": ("sigmoid", lambda a, b: a.sigmoid()),
    "relu": ("relu", lambda a, b: a.relu()),
    "sum": ("sum", lambda a, b: Value.sum([a, b, a], start=b)),
    "dot": ("dot", lambda a, b: Value.dot([a, b], [b, a], b)),
    "logsumexp": ("logsumexp", lambda a, b: Value.logsumexp([a, b, a])),
}


@pytest.mark.parametrize("name", sorted(FUZZ_OPS))
@settings(max_examples=150, deadline=None)
@given(x=NUMBERS, y=NUMBERS, y_is_value=st.booleans(), anomaly=st.booleans())
def test_fuzz_every_op_returns_a_float_or_raises_a_documented_error(name, x, y, y_is_value, anomaly):
    op, use = FUZZ_OPS[name]
    allowed = DOCUMENTED + (FloatingPointError,) if anomaly else DOCUMENTED
    with detect_anomaly() if anomaly else contextlib.nullcontext():
        try:
            a = Value(x)
            b = Value(y) if y_is_value else y
            out = use(a, b)
        except allowed as e:
            # The error names what failed: the op, a Value being built, or the anomaly check of this op.
            assert str(e).startswith((f"{op}: ", f"Value.{op}", "Value: ", f"detect_anomaly: {op} produced ")), str(e)
            return
        assert type(out) is Value and type(out.data) is float
        try:
            out.backward()
        except FloatingPointError as e:
            assert anomaly and str(e).startswith("detect_anomaly: backward of "), str(e)
            return
        # Outside detect_anomaly backward never raises: non-finite gradients propagate as floats.
        leaves = [a, b] if y_is_value else [a]
        assert all(type(v.grad) is float for v in leaves)
        assert not anomaly or all(math.isfinite(v.grad) for v in leaves)


# ---- detect_anomaly ---------------------------------------------------------------------------------------
def test_detect_anomaly_in_forward_names_the_op_and_its_inputs():
    a, b = Value(1e200, label="a"), Value(-1e200, label="b")
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as info:
            a * b
    assert str(info.value) == ("detect_anomaly: * produced -inf from inputs "
                               "Value(label='a', data=1e+200, grad=0.0), Value(label='b', data=-1e+200, grad=0.0)")
    assert (a * b).data == -math.inf  # outside the block: IEEE propagation, no error


def test_detect_anomaly_in_forward_catches_nan_from_a_nan_input():
    x = Value(math.nan, label="x")  # a leaf is not checked until an op uses it
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"^detect_anomaly: tanh produced nan from "
                                                                   r"inputs Value\(label='x', data=nan"):
        x.tanh()


def test_detect_anomaly_in_backward_names_the_op_the_label_and_the_inputs():
    x = Value(0.0, label="x")
    with detect_anomaly():
        y = x ** 0.5  # forward is finite (0.0); d sqrt(x)/dx at 0 is infinite
        y.label = "y"
        z = y * 2.0
        with pytest.raises(FloatingPointError) as info:
            z.backward()
    assert str(info.value) == (
        "detect_anomaly: backward of ** (label 'y') gave gradient inf to Value(label='x', data=0.0, grad=inf); "
        "inputs Value(label='x', data=0.0, grad=inf), Value(data=0.5, grad=0.0)")


def test_detect_anomaly_in_backward_through_log_of_a_subnormal():
    x = Value(5e-324, label="x")
    with detect_anomaly():
        y = x.log()  # finite: about -744.4
        with pytest.raises(FloatingPointError, match=r"^detect_anomaly: backward of log gave gradient inf to "
                                                     r"Value\(label='x', data=5e-324"):
            y.backward()


def test_detect_anomaly_rejects_a_non_finite_seed():
    y = Value(2.0, label="y") * 3
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"^detect_anomaly: backward gradient nan at "):
        y.backward(gradient=math.nan)


def test_detect_anomaly_changes_nothing_for_finite_graphs():
    def run():
        a, b = Value(0.7), Value(-1.3)
        y = Value.logsumexp([(a * b).tanh(), a.sigmoid() / b, (a ** 2).exp().log()])
        y.backward()
        return y.data, a.grad, b.grad, len(topological_order(y))
    plain = run()
    with detect_anomaly():
        checked = run()
    assert checked == plain


# ---- no_grad and the mode switches -------------------------------------------------------------------------
def test_no_grad_makes_every_op_a_leaf_with_the_same_value():
    a, b = Value(0.5), Value(-2.0)
    exprs = [lambda: a + b, lambda: a - b, lambda: a * b, lambda: a / b, lambda: a ** b, lambda: -a,
             lambda: a.exp(), lambda: a.log(), lambda: a.tanh(), lambda: a.sigmoid(), lambda: b.relu(),
             lambda: Value.sum([a, b]), lambda: Value.dot([a], [b], a), lambda: Value.logsumexp([a, b])]
    for expr in exprs:
        recorded = expr()
        with no_grad():
            out = expr()
        assert out.parents == () and out.op == "" and out.data == recorded.data
        assert recorded.parents != ()


def test_backward_stops_at_a_value_made_under_no_grad():
    a = Value(2.0)
    with no_grad():
        b = a * 3.0  # a constant as far as the graph knows
    c = b * a
    c.backward()
    assert (a.grad, b.grad) == (6.0, 2.0)  # dc/da through the direct edge only; b is a leaf


def recording():
    """Whether ops build a graph now (False inside no_grad)."""
    return (Value(1.0) * 2.0).parents != ()


def checking():
    """Whether ops are checked for NaN/inf now (True inside detect_anomaly)."""
    try:
        Value(1e308) * 10.0
    except FloatingPointError:
        return True
    return False


def test_modes_nest_and_are_restored_after_an_exception():
    assert recording() and not checking()
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            with detect_anomaly():
                assert not recording() and checking()
                with no_grad():
                    pass
                assert not recording() and checking()
                Value(1.0) / 0
    assert recording() and not checking()


def test_one_instance_can_be_entered_inside_itself():
    quiet = no_grad()
    with quiet:
        with quiet:
            pass
        assert not recording()
    assert recording()


def test_detect_anomaly_still_checks_under_no_grad():
    with detect_anomaly(), no_grad():
        with pytest.raises(FloatingPointError, match=r"^detect_anomaly: - produced nan"):
            Value(math.inf) - math.inf
        assert (Value(1.0) + 1).parents == ()


# ---- the closures: gradients at the point the graph was built -----------------------------------------------
@pytest.mark.parametrize("f, x, value, derivative", CASES)
def test_changing_data_after_the_forward_pass_does_not_change_the_gradients(f, x, value, derivative):
    # What an optimizer step between forward and backward does: every closure kept the numbers it needs,
    # so backward() gives the gradients at the point where the graph was built, never a mixture.
    inputs = [Value(v) for v in x]
    out = f(*inputs)
    for v in inputs:
        v.data = v.data * 1.5 + 0.25
    out.backward()
    assert [v.grad for v in inputs] == pytest.approx(derivative(*x), rel=1e-12, abs=1e-15)


def test_an_optimizer_step_between_forward_and_backward():
    # The probe of issue 11: backward on the old graph after SGD moved w gives d/dw at the old w.
    w = Value(0.5)
    y = (w * w * 3.0).tanh()
    expected = 6 * 0.5 * (1 - math.tanh(0.75) ** 2)
    w.data -= 0.3  # as SGD.step() would
    y.backward()
    assert w.grad == pytest.approx(expected, rel=1e-15)


def test_each_node_has_its_own_backward_closure_that_never_refers_to_the_node():
    a, b = Value(1.0), Value(2.0)
    p, q = a * b, b * a
    assert p._backward is not q._backward and p._backward.__code__ is q._backward.__code__
    for node in (p, q, (a + b).tanh(), Value.dot([a], [b], a), Value.logsumexp([a, b])):
        kept = list(node._backward.__defaults__ or ()) + [c.cell_contents for c in node._backward.__closure__ or ()]
        assert all(k is not node for k in kept)


# ---- PyTorch habits -----------------------------------------------------------------------------------------
def test_float_item_and_comparisons_read_data():
    v = Value(2.5)
    assert float(v) == 2.5 and v.item() == 2.5 and type(float(v)) is float
    assert math.isnan(float(Value(math.nan)))
    assert v < 3 and v <= 2.5 and v > 2 and v >= Value(2.5) and not v > Value(2.5)
    assert sorted([Value(3.0), Value(1.0), v], key=float)[0].data == 1.0
    assert max([Value(1.0), v]) is v
    assert v != Value(2.5) and v == v  # identity: graphs keep nodes in sets and dicts
    assert len({v, Value(2.5)}) == 2
    with pytest.raises(TypeError, match=r"^<: expected an int, float or Value, got str 'a'$"):
        v < "a"


def test_abs_is_differentiable_with_pytorchs_sign_at_zero():
    for x, expected in [(-2.0, -1.0), (3.0, 1.0), (0.0, 0.0), (-0.0, 0.0)]:
        v = Value(x)
        y = abs(v)
        y.backward()
        assert y.data == abs(x) and v.grad == expected and y.op == "abs"
    v = Value(math.nan)
    abs(v).backward()
    assert math.isnan(v.grad)


def test_sqrt_values_domain_and_the_infinite_slope_at_zero():
    v = Value(0.0)
    v.sqrt().backward()
    assert v.grad == math.inf  # as torch.sqrt's gradient at 0
    with pytest.raises(ValueError, match=r"^sqrt: argument must be >= 0, got -1\.0$"):
        Value(-1.0).sqrt()
    assert math.isnan(Value(math.nan).sqrt().data)


@pytest.mark.parametrize("bad, where", [
    (lambda: Value.sum(5), r"Value\.sum: expected a list of Values or numbers, got int 5"),
    (lambda: Value.logsumexp(None), r"Value\.logsumexp: expected a list of Values or numbers, got NoneType None"),
    (lambda: Value.sum(Value(1.0)), r"Value\.sum: expected a list .*, got Value .* \(wrap one in a list: \[v\]\)"),
    (lambda: Value.dot(Value(1.0), [1.0]), r"Value\.dot weights: expected a list of Values or numbers, got Value"),
])
def test_a_list_argument_that_is_not_a_list_names_the_function(bad, where):
    with pytest.raises(TypeError, match="^" + where):
        bad()


def test_dot_takes_iterators():
    out = Value.dot(iter([Value(1.0), 2.0]), iter([3.0, Value(4.0)]))
    assert out.data == 11.0
