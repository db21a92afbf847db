"""SGD with and without momentum, Adam and AdamW, against PyTorch's update rules written out by hand (and
against torch.optim itself when torch is installed)."""

import math
import random

import pytest

from micrograd_lite import MLP, SGD, Adam, AdamW, Value, mse


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


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: Adam(ps, lr=0.05)], ids=["SGD", "Adam"])
def test_training_lowers_the_loss_and_zero_grad_resets(make):
    m = MLP(2, [4, 1], rng=0)
    opt = make(m.parameters())
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


# ---- Adam and AdamW ----------------------------------------------------------------------------------------

def test_adam_first_step_moves_each_parameter_by_lr_against_the_sign_of_its_gradient():
    # Step 1: m = (1-b1) g, v = (1-b2) g^2, so m/(1-b1) / sqrt(v/(1-b2)) = g/|g|: a step of exactly lr.
    ps = [Value(1.0), Value(-2.0), Value(0.5)]
    for p, g in zip(ps, (0.3, -7.0, 1e-3)):
        p.grad = g
    Adam(ps, lr=0.1, eps=0.0).step()
    assert [p.data for p in ps] == [0.9, -1.9, 0.4]


def test_adam_second_step_by_hand():
    p = Value(1.0)
    opt = Adam([p], lr=0.1, betas=(0.5, 0.75), eps=0.0)
    p.grad = 2.0
    opt.step()  # first step: 1 - 0.1
    p.grad = -1.0
    opt.step()
    # m = 0.5*1 + 0.5*(-1) = 0 after the lerp: m1 = 1, m2 = 1 + 0.5*(-1 - 1) = 0 -> no move
    assert p.data == pytest.approx(0.9, abs=1e-15)
    p.grad = 4.0
    opt.step()
    # m3 = 0 + 0.5*4 = 2; v: 0.25*4=1, 0.75*1+0.25*1 = 1, 0.75*1+0.25*16 = 4.75
    m_hat = 2.0 / (1 - 0.5 ** 3)
    v_hat = 4.75 / (1 - 0.75 ** 3)
    assert p.data == pytest.approx(0.9 - 0.1 * m_hat / math.sqrt(v_hat), rel=1e-15)


def test_adam_weight_decay_is_added_to_the_gradient_and_adamw_shrinks_the_parameter():
    # Adam: g = 0 + wd p = 0.5 -> first step lr*sign(g); AdamW: p *= 1 - lr wd, then g = 0 moves nothing.
    p, q = Value(2.0), Value(2.0)
    Adam([p], lr=0.1, eps=0.0, weight_decay=0.25).step()
    AdamW([q], lr=0.1, eps=1e-8, weight_decay=0.25).step()
    assert p.data == 1.9
    assert q.data == 2.0 * (1 - 0.1 * 0.25)


def _reference(kind, xs, grads, lr, betas, eps, wd):
    """The published update (torch.optim.Adam/AdamW docs' algorithm box), in float64, written independently:
    m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t), p -= lr m_hat / (sqrt(v_hat) + eps)."""
    b1, b2 = betas
    m, v, out = [0.0] * len(xs), [0.0] * len(xs), []
    xs = list(xs)
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            if kind == "adamw":
                xs[i] = xs[i] - lr[t - 1] * wd * xs[i]
            else:
                g = g + wd * xs[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t)
            v_hat = v[i] / (1 - b2 ** t)
            xs[i] = xs[i] - lr[t - 1] * m_hat / (math.sqrt(v_hat) + eps)
        out.append(list(xs))
    return out


@pytest.mark.parametrize("cls,kind,wd", [(Adam, "adam", 0.0), (Adam, "adam", 0.1), (AdamW, "adamw", 0.1)])
def test_100_steps_equal_the_published_update_rule_with_a_linear_lr_schedule(cls, kind, wd):
    rng = random.Random(5)
    xs = [rng.gauss(0, 1) for _ in range(6)]
    grads = [[rng.gauss(0, 1) * 10 ** rng.randint(-3, 1) for _ in xs] for _ in range(100)]
    lrs = [0.01 * (1 - t / 100) for t in range(100)]
    params = [Value(x) for x in xs]
    opt = cls(params, lr=lrs[0], betas=(0.85, 0.99), eps=1e-8, weight_decay=wd)
    expected = _reference(kind, xs, grads, lrs, (0.85, 0.99), 1e-8, wd)
    for t in range(100):
        opt.lr = lrs[t]
        for p, g in zip(params, grads[t]):
            p.grad = g
        opt.step()
        for p, x in zip(params, expected[t]):
            assert abs(p.data - x) <= 1e-12 * max(1.0, abs(x)), (t, p.data, x)


def test_adam_equals_torch_over_100_steps():
    torch = pytest.importorskip("torch", reason="torch is in no extra that `make test` installs (a large download)")
    rng = random.Random(7)
    xs = [rng.gauss(0, 1) for _ in range(5)]
    grads = [[rng.gauss(0, 1) for _ in xs] for _ in range(100)]
    for cls, tcls, wd in ((Adam, torch.optim.Adam, 0.0), (Adam, torch.optim.Adam, 0.1),
                          (AdamW, torch.optim.AdamW, 0.1)):
        params = [Value(x) for x in xs]
        tp = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
        opt = cls(params, lr=0.01, betas=(0.85, 0.99), eps=1e-8, weight_decay=wd)
        topt = tcls([tp], lr=0.01, betas=(0.85, 0.99), eps=1e-8, weight_decay=wd)
        for t in range(100):
            opt.lr = topt.param_groups[0]["lr"] = 0.01 * (1 - t / 100)
            for p, g in zip(params, grads[t]):
                p.grad = g
            tp.grad = torch.tensor(grads[t], dtype=torch.float64)
            opt.step()
            topt.step()
        assert max(abs(p.data - x) for p, x in zip(params, tp.tolist())) <= 1e-12


def test_adam_shared_parameter_updated_once():
    p = Value(1.0)
    p.grad = 1.0
    AdamW([p, p], lr=0.5, eps=0.0, weight_decay=0.0).step()
    assert p.data == 0.5


@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_adam_bad_arguments_name_the_class_and_the_argument(cls):
    n = cls.__name__
    model = MLP(2, [1], rng=0)
    ps = model.parameters()
    with pytest.raises(ValueError, match=rf"^{n} params: got an empty parameter list"):
        cls([])
    with pytest.raises(TypeError, match=rf"^{n} params: expected Values, but item 0 is float 1.0$"):
        cls([1.0])
    with pytest.raises(TypeError, match=rf"^{n} params: .*the model MLP; pass model\.parameters\(\)$"):
        cls(model)
    with pytest.raises(ValueError, match=rf"^{n}: lr must be >= 0, got -0.1$"):
        cls(ps, lr=-0.1)
    with pytest.raises(TypeError, match=rf"^{n} lr: expected an int or float, got str '0.1'$"):
        cls(ps, lr="0.1")
    with pytest.raises(TypeError, match=rf"^{n} lr: expected an int or float, got Value\(data=0\.1, grad=0\.0\); "
                                        r"a hyperparameter is not part of the graph: pass lr=0\.1$"):
        cls(ps, lr=Value(0.1))
    with pytest.raises(ValueError, match=rf"^{n}: betas\[1\] must be in \[0, 1\), got 1.0$"):
        cls(ps, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=rf"^{n}: betas\[0\] must be in \[0, 1\), got -0.5$"):
        cls(ps, betas=(-0.5, 0.9))
    with pytest.raises(TypeError, match=rf"^{n} betas: expected a pair \(beta1, beta2\) such as \(0.9, 0.999\), "
                                        r"got float 0.9$"):
        cls(ps, betas=0.9)
    with pytest.raises(TypeError, match=rf"^{n} betas\[0\]: expected an int or float, got NoneType None$"):
        cls(ps, betas=(None, 0.9))
    with pytest.raises(ValueError, match=rf"^{n}: eps must be >= 0, got -1e-08$"):
        cls(ps, eps=-1e-8)
    with pytest.raises(ValueError, match=rf"^{n}: weight_decay must be >= 0, got nan$"):
        cls(ps, weight_decay=float("nan"))
    opt = cls(ps, lr=0.1)
    with pytest.raises(ValueError, match=rf"^{n}: lr must be >= 0, got -1.0$"):
        opt.lr = -1.0
    assert opt.lr == 0.1  # a rejected lr leaves the optimizer as it was
    opt.lr = 0  # a schedule reaching 0
    assert opt.lr == 0.0
