"""mse, softmax, log_softmax, cross_entropy: values, gradients (hand formulas and central differences),
stability at +-1000, batching and errors."""

import math
import operator
import types

import pytest

from micrograd_lite import Value, cross_entropy, log_softmax, mse, softmax
from micrograd_lite.gradcheck import gradcheck


def test_mse_is_sum_of_half_squared_errors_with_gradient_out_minus_target():
    outs = [Value(0.75), Value(0.77)]
    e = mse(outs, [0.01, 0.99])
    assert e.data == pytest.approx(0.5 * 0.74**2 + 0.5 * 0.22**2)
    e.backward()
    assert [o.grad for o in outs] == pytest.approx([0.74, -0.22])


def test_softmax_and_log_softmax_values():
    z = [1.0, 2.0, 0.5]
    den = sum(math.exp(v) for v in z)
    assert [p.data for p in softmax([Value(v) for v in z])] == pytest.approx([math.exp(v) / den for v in z])
    assert [p.data for p in log_softmax([Value(v) for v in z])] == pytest.approx(
        [v - math.log(den) for v in z])


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    z = [Value(v) for v in (0.3, -1.2, 2.0, 0.0)]
    loss = cross_entropy(z, 2)
    p = [math.exp(v.data) for v in z]
    p = [x / sum(p) for x in p]
    assert loss.data == pytest.approx(-math.log(p[2]))
    loss.backward()
    assert [v.grad for v in z] == pytest.approx([pi - (i == 2) for i, pi in enumerate(p)])
    # atol + rtol |numeric| with these is never looser than the earlier approx(rel=1e-6) (abs 1e-12)
    assert gradcheck(lambda *zs: cross_entropy(list(zs), 2), [0.3, -1.2, 2.0, 0.0], atol=5e-13, rtol=5e-7)


def test_batched_cross_entropy_averages_and_divides_gradient_by_batch():
    rows = [[Value(0.1), Value(0.2)], [Value(-1.0), Value(3.0)], [Value(0.0), Value(0.0)]]
    targets = [0, 1, 1]
    loss = cross_entropy(rows, targets)
    singles = [cross_entropy([Value(v.data) for v in r], t).data for r, t in zip(rows, targets)]
    assert loss.data == pytest.approx(sum(singles) / 3)
    loss.backward()
    for r, t in zip(rows, targets):
        e = [math.exp(v.data) for v in r]
        assert [v.grad for v in r] == pytest.approx([(x / sum(e) - (i == t)) / 3 for i, x in enumerate(e)])
    assert cross_entropy([[Value(1.0), Value(0.0)]] * 2, [0, 0], reduction="sum").data == pytest.approx(
        2 * math.log(1 + math.exp(-1)))


def test_cross_entropy_is_stable_at_extreme_logits():
    z = [Value(1000.0), Value(-1000.0)]
    loss = cross_entropy(z, 1)
    loss.backward()
    assert loss.data == 2000.0
    assert [v.grad for v in z] == [1.0, -1.0]
    assert [p.data for p in softmax([Value(1000.0), Value(1000.0)])] == pytest.approx([0.5, 0.5], rel=1e-12)


def test_loss_errors():
    with pytest.raises(ValueError, match="mse: 2 outputs but 1 targets"):
        mse([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(IndexError, match="target 3 out of range for 2 classes"):
        cross_entropy([Value(0.0), Value(1.0)], 3)
    with pytest.raises(TypeError, match="target must be an int class index, got float"):
        cross_entropy([Value(0.0), Value(1.0)], 1.0)
    with pytest.raises(ValueError, match="2 rows of logits need 2 targets, got 1"):
        cross_entropy([[Value(0.0)], [Value(1.0)]], [0])
    with pytest.raises(ValueError, match=r"^cross_entropy reduction: expected 'mean' or 'sum', got 'avg'$"):
        cross_entropy([Value(0.0)], 0, reduction="avg")


# ---- the softmax family keeps float64's digits at any scale ---------------------------------------------------
def reference_log_softmax(logits):
    """log_softmax of the float logits, computed with 60 significant digits (decimal) from their exact values,
    then rounded once to a float: the number a perfect float64 implementation returns."""
    from decimal import Decimal, localcontext
    with localcontext() as ctx:
        ctx.prec = 60
        z = [Decimal(x) for x in logits]
        m = max(z)
        lse = sum((zi - m).exp() for zi in z).ln()
        return [float((zi - m) - lse) for zi in z]


@pytest.mark.parametrize("scale", [1.0, 1e3, 1e9, 1e12, 1e16, -1e16])
@pytest.mark.parametrize("offsets", [(0.0, 2.0, -4.0), (0.0, 0.0), (8.0, -16.0, 0.0, 2.0)])
def test_log_softmax_cross_entropy_and_softmax_are_exact_at_every_scale(scale, offsets):
    logits = [scale + d for d in offsets]  # even offsets: exact at 1e16, where floats are 2 apart
    expected = reference_log_softmax(logits)
    got = [v.data for v in log_softmax(logits)]
    assert got == pytest.approx(expected, rel=1e-15, abs=0)
    for t in range(len(logits)):
        assert cross_entropy(logits, t).data == pytest.approx(-expected[t], rel=1e-15, abs=0)
    probs = [v.data for v in softmax(logits)]
    assert probs == pytest.approx([math.exp(e) for e in expected], rel=1e-15) and sum(probs) == pytest.approx(1.0)


def test_softmax_of_two_equal_huge_logits_is_one_half_each():
    assert [v.data for v in softmax([1e16, 1e16])] == [0.5, 0.5]


def test_cross_entropy_gradient_stays_softmax_minus_one_hot_at_large_scale():
    zs = [Value(1e12 + d) for d in (0.0, 2.0, -4.0)]
    cross_entropy(zs, 1).backward()
    p = [math.exp(x) for x in reference_log_softmax([z.data for z in zs])]
    assert [z.grad for z in zs] == pytest.approx([p[0], p[1] - 1.0, p[2]], rel=1e-14, abs=1e-16)


def test_common_mistakes_name_the_function_the_argument_and_what_was_expected():
    y = Value(0.5)
    with pytest.raises(TypeError, match=r"^mse outputs: expected a list of numbers or Values, got Value "
                                        r"Value\(data=0\.5, grad=0\.0\); "
                                        r"for one, pass \[Value\(data=0\.5, grad=0\.0\)\]$"):
        mse(y, [1.0])
    with pytest.raises(TypeError, match=r"^mse targets: expected a list of numbers or Values, got float 1\.0; "
                                        r"for one, pass \[1\.0\]$"):
        mse([y], 1.0)
    with pytest.raises(TypeError, match=r"^mse targets: expected a list of numbers or Values, got str 'ab'$"):
        mse([y, y], "ab")
    with pytest.raises(TypeError, match=r"^mse targets\[1\]: expected a number or Value, got str 'x'$"):
        mse([y, y], [1.0, "x"])
    rows = [[Value(0.0), Value(1.0)], [Value(2.0), Value(0.5)]]
    with pytest.raises(TypeError, match=r"^cross_entropy: logits is a batch of 2 rows, so target must be a "
                                        r"sequence of 2 class indices, got int 1$"):
        cross_entropy(rows, 1)
    with pytest.raises(TypeError, match=r"^cross_entropy: target\[1\] must be an int class index, got float 1\.0$"):
        cross_entropy(rows, [0, 1.0])
    with pytest.raises(TypeError, match=r"^cross_entropy: target must be an int class index, got bool True$"):
        cross_entropy(rows[0], True)
    with pytest.raises(TypeError, match=r"^cross_entropy: target must be an int class index, got list \[0, 1\] "
                                        r"\(a class index, not one-hot or probabilities\)$"):
        cross_entropy(rows[0], [0, 1])


def test_targets_may_be_numpy_integers_and_arrays_as_in_pytorch():
    np = pytest.importorskip("numpy")
    rows = [[Value(0.0), Value(1.0)], [Value(2.0), Value(0.5)]]
    expected = cross_entropy(rows, [1, 0]).data
    for target in (np.array([1, 0]), np.array([1, 0], dtype=np.int8), (np.int64(1), np.int64(0)), range(1, -1, -1)):
        assert cross_entropy(rows, target).data == expected
    assert cross_entropy(rows[0], np.int64(1)).data == cross_entropy(rows[0], 1).data
    assert cross_entropy(rows[0], np.array(1)).data == cross_entropy(rows[0], 1).data  # 0-d array
    with pytest.raises(ValueError, match=r"^cross_entropy: 2 rows of logits need 2 targets, got 3$"):
        cross_entropy(rows, np.array([1, 0, 1]))
    with pytest.raises(TypeError, match=r"^cross_entropy: target\[0\] must be an int class index, "
                                        r"got float64 (np\.float64\()?1\.0\)?$"):
        cross_entropy(rows, np.array([1.0, 0.0]))
    with pytest.raises(TypeError, match=r"^cross_entropy: target\[0\] must be an int class index, "
                                        r"got bool_? (np\.)?True_?$"):
        cross_entropy(rows, np.array([True, False]))
    with pytest.raises(TypeError, match=r"^cross_entropy: logits is a batch of 2 rows, so target must be a "
                                        r"sequence of 2 class indices, got ndarray array\(1\)$"):
        cross_entropy(rows, np.array(1))
    with pytest.raises(IndexError, match=r"^cross_entropy: target 2 out of range for 2 classes$"):
        cross_entropy(rows, np.array([2, 0]))
    # numpy before 2.3 (the newest for Python 3.10 is 2.2) lets operator.index take np.bool_: refused anyway.
    for target in (np.bool_(True), np.array(True), np.array([True])[0]):
        with pytest.raises(TypeError, match=r"^cross_entropy: target must be an int class index, got "):
            cross_entropy(rows[0], target)
    with pytest.raises(TypeError, match=r"^cross_entropy: target\[1\] must be an int class index, got "):
        cross_entropy(rows, (np.int64(1), np.False_))


@pytest.mark.parametrize("name", ["bool_", "bool"])
def test_boolean_targets_are_refused_whatever_numpy_lets_operator_index_do(name):
    # Stand-ins for numpy's boolean scalar as numpy 1.x (bool_) and 2.x (bool) name it, with the __index__ that
    # numpy < 2.3 gives it, so this runs on whichever numpy is installed, or none.
    fake_bool = type(name, (), {"__module__": "numpy", "__index__": lambda self: 1, "__repr__": lambda self: "True"})
    with_dtype = type("scalar", (), {"dtype": types.SimpleNamespace(kind="b"), "__index__": lambda self: 1})
    logits = [Value(0.0), Value(1.0)]
    assert operator.index(fake_bool()) == 1
    for target in (fake_bool(), with_dtype()):
        with pytest.raises(TypeError, match=r"^cross_entropy: target must be an int class index, got "):
            cross_entropy(logits, target)
        with pytest.raises(TypeError, match=r"^cross_entropy: target\[0\] must be an int class index, got "):
            cross_entropy([logits], [target])
