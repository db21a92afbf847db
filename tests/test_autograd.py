"""micrograd_lite.grad (torch.autograd.grad) and hessian: first derivatives equal backward()'s, second
derivatives equal central differences of the gradient, nothing accumulates into .grad, errors name the
argument."""

import math

import pytest
from hypothesis import given

from micrograd_lite import Value, grad, gradgradcheck, topological_order
from micrograd_lite.autograd import hessian
from test_properties import cases  # random expression DAGs of every op


def test_x_cubed_at_2_gives_12_12_6():
    x = Value(2.0)
    d1, = grad(x ** 3, [x], create_graph=True)
    d2, = grad(d1, [x], create_graph=True)
    d3, = grad(d2, [x])
    assert (d1.data, d2.data, d3.data) == (12.0, 12.0, 6.0)
    assert x.grad == 0.0  # nothing accumulates


def test_results_are_leaves_without_create_graph_and_nodes_with_it():
    x = Value(0.5)
    y = x.tanh() * x
    g, = grad(y, x)
    assert g.parents == () and y.grad == 0.0 and x.grad == 0.0
    h, = grad(y, x, create_graph=True)
    assert h.parents and h.data == g.data
    h.backward()  # a graph: backward() works on it
    assert x.grad == pytest.approx(hessian(x.tanh() * x, [x])[0][0], rel=1e-12)


def test_several_outputs_and_grad_outputs_give_the_vector_jacobian_product():
    a, b = Value(1.5), Value(-0.5)
    u, v = a * b, a.exp() + b
    ga, gb = grad([u, v], [a, b], grad_outputs=[2.0, Value(-3.0)])
    assert ga.data == pytest.approx(2.0 * b.data - 3.0 * math.exp(a.data), rel=1e-15)
    assert gb.data == pytest.approx(2.0 * a.data - 3.0, rel=1e-15)


@given(case=cases)
def test_grad_equals_backward_on_random_dags(case):
    xs = [Value(x) for x in case.inputs]
    out = case(*xs)
    used = {n for n in topological_order(out)}
    firsts = grad(out, xs, allow_unused=True)
    seconds = grad(out, xs, create_graph=True, allow_unused=True)
    out.backward()
    for x, g, h in zip(xs, firsts, seconds):
        if x not in used:
            assert g is None and h is None
            continue
        assert g.data == x.grad  # the same closures on the same floats: the same float
        assert h.data == pytest.approx(x.grad, rel=1e-12, abs=1e-300)


def zero_exponent(case):
    """True when some x ** k of the case's graph has a Value exponent k exactly 0 at its point: there the
    closure's ``if k`` takes d(x^k)/dx as the constant 0.0 (k x^(k-1) would be 0 * inf at x = 0), so its
    derivative with respect to k, x^(k-1), is lost. A branch at one exact point, as relu's at 0."""
    nodes = topological_order(case(*[Value(x) for x in case.inputs]))
    return any(n.op == "**" and n.parents[1].data == 0.0 for n in nodes)  # the strategy draws no number k = 0


@given(case=cases.filter(lambda c: not zero_exponent(c)))
def test_second_derivatives_of_random_dags_match_central_differences(case):
    assert gradgradcheck(case, case.inputs)


def test_a_zero_value_exponent_loses_its_second_derivative_through_the_base():
    """The documented exception (see `zero_exponent`): d/dk of d(x^k)/dx at k = 0 is x^-1, but the closure
    branches to 0.0 there; at any other k the second derivative is right."""
    x, k = Value(2.0), Value(0.0)
    dx, = grad(x ** k, [x], create_graph=True)
    assert grad(dx, [k], allow_unused=True)[0] is None  # cut by the branch, where the true value is 0.5
    k.data = 1e-9
    dx, = grad(x ** k, [x], create_graph=True)
    assert grad(dx, [k])[0].data == pytest.approx(0.5, rel=1e-6)


def test_hessian_of_every_op_at_once():
    def f(z, w):
        return ((z.tanh() * w.exp()).sigmoid() + Value.logsumexp([z, z * w, 1.0]) + (z * w).relu() + abs(z - w)
                + z.sqrt() + z.log() + z ** w + w ** 3 / z - Value.dot([z, w], [w, z], 1.0) + Value.sum([z, -w]))
    assert gradgradcheck(f, [0.7, 0.3])
    H = hessian(f(Value(0.7), Value(0.3)), [Value(0.7)])  # an input f does not use: zeros
    assert H == [[0.0]]


def test_unused_input_and_bad_arguments():
    x, y = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match=r"grad: input 1 \(Value\(data=2.0.*allow_unused=True"):
        grad(x * 3.0, [x, y])
    assert grad(x * 3.0, [x, y], allow_unused=True)[1] is None
    with pytest.raises(TypeError, match="grad: inputs must be a Value or a list of Values, got float 2.0"):
        grad(x * 3.0, [x, 2.0])
    with pytest.raises(TypeError, match="grad: outputs must be .* got str"):
        grad("y", [x])
    with pytest.raises(ValueError, match="grad: inputs is empty"):
        grad(x * 3.0, [])
    with pytest.raises(ValueError, match="2 grad_outputs for 1 outputs"):
        grad(x * 3.0, [x], grad_outputs=[1.0, 2.0])
    with pytest.raises(TypeError, match=r"grad_outputs\[0\] must be a number or a Value, got bool"):
        grad(x * 3.0, [x], grad_outputs=[True])



# ---- inside no_grad(): what they give outside it, as torch.autograd.grad(create_graph=True) does --------------
def test_grad_hessian_and_gradgradcheck_inside_no_grad_give_what_they_give_outside():
    from micrograd_lite import gradcheck, no_grad
    x = Value(2.0)
    y = x ** 3
    outside = (grad(y, x, create_graph=True)[0], hessian(y, [x]))
    with no_grad():
        g, = grad(y, x, create_graph=True)
        assert g.data == outside[0].data == 12.0 and g.parents  # a node of a graph, not a detached leaf
        assert grad(g, x)[0].data == 12.0
        assert hessian(y, [x]) == outside[1] == [[12.0]]
        assert gradgradcheck(lambda a: a ** 3, [2.0])
        assert gradcheck(lambda a: a ** 3, [2.0])
        # a wrong second derivative is still caught: relu's kink at 0 gives 0 analytically, 1/(2 eps) numerically
        assert not gradgradcheck(lambda a: (a * 1e6).relu() * a, [0.0], raise_exception=False)
        assert Value(1.0) * 2.0 is not None and not (Value(1.0) * 2.0).parents  # still no_grad after them
    assert not gradgradcheck(lambda a: (a * 1e6).relu() * a, [0.0], raise_exception=False)
