"""SGD with and without momentum, against PyTorch's update rule written out by hand."""

import pytest

from micrograd_lite import MLP, SGD, Value, mse


def test_sgd_step_moves_against_the_gradient():
    p = Value(1.0)
    p.grad = 0.5
    SGD([p], lr=0.1).step()
    assert p.data == pytest.approx(0.95)


def test_momentum_follows_torch_update_rule():
    p = Value(1.0)
    opt = SGD([p], lr=0.1, momentum=0.9)
    v, x = 0.0, 1.0
    for g in (0.5, -0.2, 0.3):
        p.grad = g
        opt.step()
        v = 0.9 * v + g
        x -= 0.1 * v
        assert p.data == pytest.approx(x)


def test_training_lowers_the_loss_and_zero_grad_resets():
    m = MLP(2, [4, 1], rng=0)
    opt = SGD(m.parameters(), lr=0.1)
    data = [([0.0, 1.0], 1.0), ([1.0, 0.0], -1.0)]

    def loss():
        return Value.sum([mse(m(x), [y]) for x, y in data])

    first = loss().data
    for _ in range(50):
        opt.zero_grad()
        loss().backward()
        opt.step()
    assert loss().data < first / 10
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_shared_parameter_updated_once():
    p = Value(1.0)
    p.grad = 1.0
    SGD([p, p], lr=0.5).step()
    assert p.data == 0.5


def test_bad_arguments():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"^SGD params: expected Values, but item 0 is float 1.0$"):
        SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="lr must be >= 0, got -0.1"):
        SGD([Value(1.0)], lr=-0.1)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.0"):
        SGD([Value(1.0)], lr=0.1, momentum=1.0)
    with pytest.raises(TypeError, match="SGD lr: .*str"):
        SGD([Value(1.0)], lr="0.1")


def test_common_mistakes_name_the_argument_and_what_was_expected():
    model = MLP(2, [1], rng=0)
    expected = r"^SGD params: expected an iterable of Values such as model\.parameters\(\), got "
    with pytest.raises(TypeError, match=expected + r"the model MLP; pass model\.parameters\(\)$"):
        SGD(model, 0.1)
    with pytest.raises(TypeError, match=expected + r"method <bound method Module\.parameters of .*; "
                                                   r"call it: model\.parameters\(\)$"):
        SGD(model.parameters, 0.1)
    with pytest.raises(TypeError, match=expected + r"a single Value\(data=1\.0, grad=0\.0\); pass a list: \[v\]$"):
        SGD(Value(1.0), 0.1)
    with pytest.raises(TypeError, match=expected + r"float 0\.1$"):
        SGD(0.1, model.parameters())
    with pytest.raises(TypeError, match=r"^SGD lr: expected an int or float, got Value\(data=0\.1, grad=0\.0\); "
                                        r"a hyperparameter is not part of the graph: pass lr=0\.1$"):
        SGD(model.parameters(), lr=Value(0.1))
    with pytest.raises(TypeError, match=r"^SGD momentum: expected an int or float, got NoneType None$"):
        SGD(model.parameters(), lr=0.1, momentum=None)
