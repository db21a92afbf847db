"""numerical_grad and gradcheck: central differences, the pass/fail rule |analytic - numeric| <= atol +
rtol |numeric|, failures on a wrong derivative, a disconnected input and a stateful backward, and the
argument errors."""

import math
import re

import pytest

from micrograd_lite import GradcheckError, MLP, Value, gradcheck, mse, numerical_grad
from micrograd_lite.engine import _node


# ---- hand-built nodes whose backward closure is deliberately wrong, built as engine.py builds ops ---------
def bad_sin(a):
    def _backward(g):
        a.grad += math.sin(a.data) * g  # the bug: d(sin a)/da is cos a
    return _node(math.sin(a.data), (a,), "sin", _backward)


def scaled_identity(a, scale, slope):
    """The value scale * a, with a backward that claims the derivative `slope`."""
    def _backward(g):
        a.grad += slope * g
    return _node(scale * a.data, (a,), "scale", _backward)


def drifting_identity(a):
    """The value a with derivative 1 on the first backward(), 2 on the second: a backward with state."""
    calls = []

    def _backward(g):
        calls.append(1)
        a.grad += len(calls) * g
    return _node(a.data, (a,), "drift", _backward)


# ---- numerical_grad ---------------------------------------------------------------------------------------
def test_numerical_grad_is_the_central_difference():
    # For a cubic the central difference is exact up to the eps^2 term: (3x^2 + eps^2), here at x = 2.
    assert numerical_grad(lambda x: x**3, [2.0], eps=1e-3) == pytest.approx([12.0 + 1e-6], rel=1e-9)
    assert numerical_grad(lambda x, y: x * y + y.exp(), [3, 0.5]) == pytest.approx([0.5, 3 + math.exp(0.5)],
                                                                                  rel=1e-8)
    assert numerical_grad(lambda: Value(1.0), []) == []


def test_numerical_grad_builds_no_graph_and_touches_no_grad():
    w = Value(2.0)
    seen = []

    def f(x):
        y = x * w
        seen.append(y)
        return y

    assert numerical_grad(f, [1.5]) == pytest.approx([2.0])
    assert w.grad == 0.0 and all(y.parents == () for y in seen)


def test_an_error_inside_f_says_where_it_was_evaluated():
    with pytest.raises(ValueError, match=r"log: argument must be > 0, got -9e-07") as info:
        numerical_grad(lambda x: x.log(), [1e-7])
    assert "(raised while evaluating f at input 0 - eps, inputs [-9e-07])" in info.value.__notes__


# ---- gradcheck passes on correct gradients ------------------------------------------------------------------
@pytest.mark.parametrize("f, x", [
    (lambda a, b: (a * b).tanh() + a.exp() / b, [0.3, -1.2]),
    (lambda a: a.relu() * a.sigmoid(), [0.7]),
    (lambda a, b, c: Value.logsumexp([a, b * c, c.log()]), [0.1, 2.0, 3.0]),
    (lambda a: a, [4.0]),                        # the output is the input leaf itself
    (lambda a, b: a * 2.0, [1.0, 5.0]),          # b unused: both gradients are 0
])
def test_gradcheck_passes_on_correct_functions(f, x):
    assert gradcheck(f, x) is True


def test_gradcheck_leaves_captured_parameter_grads_as_they_were():
    model = MLP(2, [3, 1], rng=0)
    for p in model.parameters():
        p.grad = 0.25
    assert gradcheck(lambda a, b: mse(model([a, b]), [1.0]), [0.4, -0.3])
    assert all(p.grad == 0.25 for p in model.parameters())


# ---- gradcheck fails, naming the input, both values and the difference -------------------------------------
def test_wrong_derivative_fails_with_index_values_and_difference():
    x = 0.5
    analytic, numeric = math.sin(x), math.cos(x)  # what the buggy node reports, what is true
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: bad_sin(a) + b * b, [x, 3.0])
    msg = str(info.value)
    found = re.search(r"input 0 \(x = 0\.5\): analytic (\S+), numeric (\S+), difference (\S+) > tolerance (\S+)",
                      msg)
    assert found, msg
    assert float(found[1]) == analytic
    assert float(found[2]) == pytest.approx(numeric, rel=1e-8)
    assert float(found[3]) == pytest.approx(numeric - analytic, rel=1e-8)
    assert float(found[4]) == pytest.approx(1e-5 + 1e-3 * numeric, rel=1e-8)
    assert "input 1" not in msg  # d(b^2)/db is right and is not reported
    assert isinstance(info.value, RuntimeError)  # as torch.autograd.gradcheck.GradcheckError


def test_disconnected_input_fails():
    # y's value reaches the output through .data, so the graph has no path from y: analytic 0, numeric 0.3
    with pytest.raises(GradcheckError, match=r"input 1 \(x = -1\.2\): analytic 0\.0, numeric 0\.29999\d*, "
                                             r"difference 0\.29999\d* > .*disconnected"):
        gradcheck(lambda x, y: x * Value(y.data), [0.3, -1.2])


def test_raise_exception_false_returns_false():
    assert gradcheck(lambda a: bad_sin(a), [0.5], raise_exception=False) is False
    assert gradcheck(lambda x, y: x * Value(y.data), [0.3, -1.2], raise_exception=False) is False
    assert gradcheck(drifting_identity, [0.5], raise_exception=False) is False


def test_backward_that_changes_between_calls_fails_the_reentrance_check():
    with pytest.raises(GradcheckError, match=r"not reentrant.*\n  input 0: first 1\.0, second 2\.0, "
                                             r"difference 1\.0"):
        gradcheck(drifting_identity, [0.5])


@pytest.mark.parametrize("scale, slope, passes", [
    # tolerance = atol + rtol * |numeric| = 1e-5 + 1e-3 * |scale|: the sum, and relative to the numeric one
    (1.0, 1.0 + 1.005e-3, True),  # inside the sum, outside max(atol, rtol * |numeric|)
    (1.0, 1.0 + 1.02e-3, False),
    (1.0, 1.0 - 1.02e-3, False),
    (1000.0, 1000.0 + 0.99, True),
    (1000.0, 1000.0 + 1.01, False),
    (0.0, 0.99e-5, True),      # numeric 0: only atol is left
    (0.0, 1.01e-5, False),
])
def test_tolerance_is_atol_plus_rtol_times_numeric(scale, slope, passes):
    f = lambda a: scaled_identity(a, scale, slope)  # noqa: E731
    assert gradcheck(f, [0.7], raise_exception=False) is passes


def test_tolerances_can_be_tightened():
    f = lambda a: scaled_identity(a, 1.0, 1.0 + 1e-6)  # noqa: E731
    assert gradcheck(f, [0.7])
    assert not gradcheck(f, [0.7], atol=1e-8, rtol=1e-8, raise_exception=False)


def test_nan_gradient_fails():
    with pytest.raises(GradcheckError, match=r"input 0 .*analytic nan, numeric 1\.0\d*, difference nan"):
        gradcheck(lambda a: scaled_identity(a, 1.0, math.nan), [0.5])


# ---- bad arguments -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, message", [
    (lambda: gradcheck("f", [1.0]), TypeError, r"gradcheck: f must be callable, got str 'f'"),
    (lambda: gradcheck(lambda a: a.data, [1.0]), TypeError, r"f must return a Value, got float 1\.0"),
    (lambda: gradcheck(lambda a: a, [1.0, "2"]), TypeError, r"input 1 must be an int or float, got str '2'"),
    (lambda: gradcheck(lambda a: a, [True]), TypeError, r"input 0 must be an int or float, got bool True"),
    (lambda: gradcheck(lambda a: a, [Value(1.0)]), TypeError, r"input 0 .*Value\(data=1\.0.*pass its \.data"),
    (lambda: gradcheck(lambda a: a, 1.0), TypeError, r"inputs must be a sequence of numbers, got float 1\.0"),
    (lambda: gradcheck(lambda a: a, [math.nan]), ValueError, r"input 0 must be finite, got nan"),
    (lambda: gradcheck(lambda: Value(1.0), []), ValueError, r"gradcheck: needs at least one input"),
    (lambda: gradcheck(lambda a: a, [1.0], eps=0), ValueError, r"gradcheck: eps must be a finite number > 0, got 0"),
    (lambda: gradcheck(lambda a: a, [1.0], eps=-1e-6), ValueError, r"eps must be .* > 0, got -1e-06"),
    (lambda: gradcheck(lambda a: a, [1.0], eps=math.inf), ValueError, r"eps must be .*, got inf"),
    (lambda: gradcheck(lambda a: a, [1.0], eps="1e-6"), TypeError, r"eps must be .*, got str '1e-6'"),
    (lambda: gradcheck(lambda a: a, [1.0], atol=-1), ValueError, r"atol must be a finite number >= 0, got -1"),
    (lambda: gradcheck(lambda a: a, [1.0], rtol=None), TypeError, r"rtol must be .*, got NoneType None"),
    (lambda: numerical_grad(lambda a: a, [1.0], eps=0.0), ValueError, r"numerical_grad: eps must .* > 0, got 0\.0"),
    (lambda: numerical_grad(lambda a: 2.0, [1.0]), TypeError, r"numerical_grad: f must return a Value, got float"),
    (lambda: numerical_grad(lambda a: a, [[1.0]]), TypeError, r"numerical_grad: input 0 must be an int .*, got list"),
])
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- gradgradcheck ---------------------------------------------------------------------------------------------
def test_gradgradcheck_passes_on_smooth_functions():
    from micrograd_lite import gradgradcheck

    assert gradgradcheck(lambda a, b: (a * b).tanh() + a ** 3 / b, [0.3, 1.2])


def test_gradgradcheck_names_the_entry_that_disagrees():
    from micrograd_lite import GradcheckError, gradgradcheck

    # at 1e-7 the steps +-eps cross abs's kink: the gradient 2|x| has slope 2, its central difference 0.2
    with pytest.raises(GradcheckError, match=r"d2f/dx0dx0: analytic 2.0, numeric 0.2"):
        gradgradcheck(lambda x: abs(x) * x, [1e-7])
    assert gradgradcheck(lambda x: abs(x) * x, [1e-7], raise_exception=False) is False
    with pytest.raises(ValueError, match="gradgradcheck: needs at least one input"):
        gradgradcheck(lambda: Value(1.0), [])


def test_numerical_hessian_is_central_differences_of_the_gradient():
    from micrograd_lite.gradcheck import numerical_hessian

    H = numerical_hessian(lambda a, b: a * a * b, [1.0, 2.0])
    assert [h for row in H for h in row] == pytest.approx([4.0, 2.0, 2.0, 0.0], abs=1e-8)
