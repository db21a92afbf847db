"""Neuron, Layer, MLP: shapes, explicit weights, reproducible initialisation, parameter naming, errors."""

import math
import random

import pytest

from micrograd_lite import MLP, Layer, Neuron, Value, no_grad
from micrograd_lite.gradcheck import numerical_grad


def test_neuron_computes_activation_of_w_dot_x_plus_b():
    n = Neuron(2, "tanh", weights=[0.5, -1.0], bias=0.25)
    out = n([2.0, 3.0])
    z = 0.5 * 2 - 1.0 * 3 + 0.25
    assert out.data == pytest.approx(math.tanh(z))
    out.backward()
    d = 1 - math.tanh(z) ** 2
    assert [w.grad for w in n.w] == pytest.approx([d * 2.0, d * 3.0])
    assert n.b.grad == pytest.approx(d)


@pytest.mark.parametrize("act, f", [("sigmoid", lambda z: 1 / (1 + math.exp(-z))), ("relu", lambda z: max(z, 0.0)),
                                    ("linear", lambda z: z), ("tanh", math.tanh)])
def test_each_activation(act, f):
    n = Neuron(1, act, weights=[2.0], bias=-0.5)
    assert n([0.75]).data == pytest.approx(f(1.0))


def test_layer_returns_a_list_even_of_width_one():
    out = Layer(3, 1, rng=0)([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)


def test_layer_converts_its_input_once_and_keeps_the_engine_modes():
    layer = Layer(3, 2, "tanh", rng=0)
    x = [1.0, 2.0, 3.0]
    out = layer(x)
    assert [o.data for o in out] == [n(x).data for n in layer.neurons]
    firsts = [o.parents[0].parents[3] for o in out]  # tanh <- dot(w0, w1, w2, x0, x1, x2, b)
    assert firsts[0] is firsts[1]  # the number 1.0 became one constant leaf, shared by both neurons
    with no_grad():
        assert all(o.parents == () for o in layer(x))
    with pytest.raises(TypeError, match="dot: .*str 'x'"):
        layer([1.0, "x", 3.0])


def test_mlp_shapes_and_activations():
    m = MLP(3, [4, 5, 2], activation="relu", output_activation="sigmoid", rng=1)
    assert [layer.activation for layer in m.layers] == ["relu", "relu", "sigmoid"]
    assert len(m([0.1, 0.2, 0.3])) == 2
    assert len(m.parameters()) == (3 * 4 + 4) + (4 * 5 + 5) + (5 * 2 + 2)
    assert MLP(2, [3, 1], rng=0).layers[-1].activation == "linear"


def test_initialisation_is_reproducible_from_seed_or_rng():
    a = [p.data for p in MLP(3, [4, 2], rng=7).parameters()]
    b = [p.data for p in MLP(3, [4, 2], rng=random.Random(7)).parameters()]
    c = [p.data for p in MLP(3, [4, 2], rng=8).parameters()]
    assert a == b and a != c
    bound = 1 / math.sqrt(3)
    assert all(-bound <= x <= bound for x in [p.data for p in MLP(3, [4], rng=7).parameters()])


def test_parameter_names_are_stable_and_dotted():
    names = [n for n, _ in MLP(2, [2, 1], rng=0).named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"


def test_shared_parameter_listed_once_and_gets_both_gradients():
    b1 = Value(0.35, label="b1")
    layer = Layer(2, 2, "sigmoid", weights=[[0.15, 0.20], [0.25, 0.30]], biases=[b1, b1])
    assert len(layer.parameters()) == 5
    out = layer([0.05, 0.10])
    Value.sum(out).backward()
    s = [o.data for o in out]
    assert b1.grad == pytest.approx(sum(x * (1 - x) for x in s))


def test_zero_grad_resets_every_parameter():
    m = MLP(2, [3, 1], rng=0)
    m([1.0, -1.0])[0].backward()
    assert any(p.grad != 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0 for p in m.parameters())


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "linear"])
def test_mlp_parameter_gradients_match_central_differences(act):
    m = MLP(2, [3, 2], activation=act, output_activation="sigmoid", rng=3)
    x = [0.3, -0.7]
    params = m.parameters()
    values = [p.data for p in params]

    def loss_of(*ps):
        for p, v in zip(params, ps):
            p.data = v.data
        return Value.sum(m(x))

    numeric = numerical_grad(loss_of, values)
    for p, v in zip(params, values):
        p.data = v
    m.zero_grad()
    Value.sum(m(x)).backward()
    assert [p.grad for p in params] == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        MLP(2, [2], activation="softplus")
    with pytest.raises(ValueError, match="Neuron: expected 2 weights, got 3"):
        Neuron(2, weights=[1, 2, 3], bias=0)
    with pytest.raises(ValueError, match="Layer: expected 3 inputs, got 2"):
        Layer(3, 2, rng=0)([1.0, 2.0])
    with pytest.raises(TypeError, match="Layer nin: expected an int, got float"):
        Layer(2.5, 2)
    with pytest.raises(ValueError, match="Layer nout: must be at least 1, got 0"):
        Layer(2, 0)
    with pytest.raises(TypeError, match="rng: expected None, an int seed or a random.Random, got str"):
        MLP(2, [1], rng="seed")
    with pytest.raises(TypeError, match="Neuron weight: .*str"):
        Neuron(1, weights=["x"], bias=0.0)


def test_reprs():
    assert repr(Neuron(2, "relu", rng=0)) == "Neuron(2, activation='relu')"
    assert repr(MLP(2, [3, 1], rng=0)) == ("MLP([Layer(2, 3, activation='tanh'), "
                                          "Layer(3, 1, activation='linear')])")
