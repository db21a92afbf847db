"""Neuron, Layer, MLP, Embedding: shapes, explicit weights, reproducible initialisation, parameter
naming, errors, and state_dict / load_state_dict."""

import math
import random

import pytest

from micrograd_lite import MLP, Embedding, Layer, Neuron, StateDictError, Value, no_grad
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
    with pytest.raises(TypeError, match="Layer input: .*str 'x'"):
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
    with pytest.raises(ValueError, match=r"^Neuron weights: expected a list of 2 numbers or Values, got 3 entries$"):
        Neuron(2, weights=[1, 2, 3], bias=0)
    with pytest.raises(ValueError, match="Layer: expected 3 inputs, got 2"):
        Layer(3, 2, rng=0)([1.0, 2.0])
    with pytest.raises(TypeError, match="Layer nin: expected an int, got float"):
        Layer(2.5, 2)
    with pytest.raises(ValueError, match="Layer nout: must be at least 1, got 0"):
        Layer(2, 0)
    with pytest.raises(TypeError, match=r"^MLP rng: expected None, an int seed or a random.Random, got str 'seed'$"):
        MLP(2, [1], rng="seed")
    with pytest.raises(TypeError, match=r"^Neuron weights\[0\]: expected an int, float or Value, got str 'x'$"):
        Neuron(1, weights=["x"], bias=0.0)


def test_reprs():
    assert repr(Neuron(2, "relu", rng=0)) == "Neuron(2, activation='relu')"
    assert repr(MLP(2, [3, 1], rng=0)) == ("MLP([Layer(2, 3, activation='tanh'), "
                                          "Layer(3, 1, activation='linear')])")


# ---- Embedding ------------------------------------------------------------------------------------------------
def test_embedding_rows_are_the_tables_own_values():
    emb = Embedding(3, 2, weights=[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    assert [v.data for v in emb(1)] == [0.3, 0.4]
    assert emb(1)[0] is emb.weight[1][0]
    assert [name for name, _ in emb.named_parameters()][:3] == ["weight.0.0", "weight.0.1", "weight.1.0"]
    assert len(emb.parameters()) == 6 and repr(emb) == "Embedding(3, 2)"


def test_extending_a_returned_row_leaves_the_table_as_it_is():
    emb = Embedding(3, 2, weights=[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    before = emb.state_dict()
    x = emb(0)
    x += emb(1)  # a context of two tokens, built as a learner would
    assert len(x) == 4 and len(emb.weight[0]) == 2 and emb.state_dict() == before
    assert emb(0) is not emb(0) and emb(0)[1] is emb.weight[0][1]


@pytest.mark.parametrize("model", [MLP(2, [3, 1], rng=0), Layer(2, 3, rng=0), Neuron(2, rng=0)])
def test_a_single_value_where_a_list_of_inputs_is_expected_says_what_was_expected(model):
    name = type(model).__name__
    with pytest.raises(TypeError, match=rf"^{name}: input must be a list of 2 numbers or Values, got Value "
                                        r"Value\(data=1\.0, grad=0\.0\) \(for one input, pass \[Value"):
        model(Value(1.0))


def test_embedding_initialisation_is_standard_normal_and_reproducible():
    a = [p.data for p in Embedding(50, 4, rng=3).parameters()]
    assert a == [p.data for p in Embedding(50, 4, rng=random.Random(3)).parameters()]
    assert a != [p.data for p in Embedding(50, 4, rng=4).parameters()]
    mean = sum(a) / len(a)
    var = sum((x - mean) ** 2 for x in a) / len(a)
    assert abs(mean) < 0.25 and 0.7 < var < 1.3  # 200 draws from N(0, 1)


def test_lookup_flattens_each_context_as_c_of_x():
    emb = Embedding(3, 2, weights=[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    out = emb.lookup([[0, 2], [1, 1], (2, 0)])
    assert [[v.data for v in row] for row in out] == [[0.1, 0.2, 0.5, 0.6], [0.3, 0.4, 0.3, 0.4],
                                                      [0.5, 0.6, 0.1, 0.2]]
    assert out[1][0] is out[1][2] is emb.weight[1][0]


def test_a_row_used_twice_in_one_context_gets_both_gradient_contributions():
    # The truth-table notes: "the first embedding appeared TWICE in the context", so it is updated with
    # each part of dIL. Here the loss is 2*x0 + 3*x1 + 5*x2 + 7*x3 over the flattened context [0, 0].
    emb = Embedding(2, 2, weights=[[0.1, 0.2], [0.3, 0.4]])
    (x,) = emb.lookup([[0, 0]])
    Value.dot([2.0, 3.0, 5.0, 7.0], x).backward()
    assert [v.grad for v in emb(0)] == [2.0 + 5.0, 3.0 + 7.0]
    assert [v.grad for v in emb(1)] == [0.0, 0.0]


def test_embedding_gradients_match_central_differences():
    emb = Embedding(3, 2, rng=1)
    contexts = [[0, 2, 0], [1, 1, 2]]
    params = emb.parameters()
    values = [p.data for p in params]
    w = [0.3, -0.2, 0.7, 0.1, -0.5, 0.4]

    def loss_of(*ps):
        for p, v in zip(params, ps):
            p.data = v.data
        return Value.sum([Value.dot(w, row).tanh() for row in emb.lookup(contexts)])

    numeric = numerical_grad(loss_of, values)
    for p, v in zip(params, values):
        p.data = v
    loss_of(*params).backward()
    assert [p.grad for p in params] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_embedding_bad_indices_name_the_index_and_the_table_size():
    emb = Embedding(2, 3, rng=0)
    with pytest.raises(IndexError, match=r"Embedding: index 2 out of range for a table of 2 rows"):
        emb(2)
    with pytest.raises(IndexError, match=r"index -1 out of range for a table of 2 rows"):
        emb(-1)
    with pytest.raises(TypeError, match=r"Embedding: index must be an int, got float 1.0 \(table of 2 rows\)"):
        emb(1.0)
    with pytest.raises(TypeError, match=r"index must be an int, got bool True"):
        emb(True)
    with pytest.raises(IndexError, match=r"Embedding.lookup: example 1, position 0: index 5 out of range for a "
                                         r"table of 2 rows"):
        emb.lookup([[0, 1], [5, 0]])
    with pytest.raises(TypeError, match=r"Embedding.lookup: contexts must be B sequences of indices; example 0 "
                                        r"is int 0 \(for one context, pass \[context\]\)"):
        emb.lookup([0, 1])
    with pytest.raises(ValueError, match=r"^Embedding weights\[1\]: expected a list of 2 numbers or Values, got 1 entry$"):
        Embedding(2, 2, weights=[[0.0, 1.0], [2.0]])
    with pytest.raises(ValueError, match="Embedding num_embeddings: must be at least 1, got 0"):
        Embedding(0, 2)


# ---- state_dict / load_state_dict ----------------------------------------------------------------------
def test_state_dict_maps_stable_dotted_names_to_floats():
    m = MLP(3, [4, 2], rng=0)
    state = m.state_dict()
    assert list(state) == [n for n, _ in m.named_parameters()]
    assert state["layers.0.neurons.1.w.2"] == m.layers[0].neurons[1].w[2].data
    assert state["layers.1.neurons.1.b"] == m.layers[1].neurons[1].b.data
    assert len(state) == 3 * 4 + 4 + 4 * 2 + 2 and all(type(x) is float for x in state.values())
    assert list(Embedding(2, 3, rng=0).state_dict())[:4] == ["weight.0.0", "weight.0.1", "weight.0.2", "weight.1.0"]


def test_load_state_dict_copies_every_value_exactly(parameter_bits):
    src, dst = MLP(2, [3, 1], rng=0), MLP(2, [3, 1], rng=1)
    ps = src.parameters()
    ps[0].data, ps[1].data, ps[2].data, ps[3].data = math.inf - math.inf, -0.0, math.inf, 5e-324
    assert dst.load_state_dict(src.state_dict()) == ([], [])
    assert parameter_bits(dst) == parameter_bits(src)  # the sign of the NaN and of -0.0 included


def test_load_state_dict_lists_every_problem_and_changes_nothing(parameter_bits):
    m = MLP(2, [2, 1], rng=0)
    before = parameter_bits(m)
    state = m.state_dict()
    del state["layers.0.neurons.1.b"], state["layers.1.neurons.0.w.0"]
    state["layers.0.neurons.0.w.0"] = "0.5"
    state["layers.0.neurons.0.w.1"] = True
    state["layers.1.neurons.0.b"] = 10**400
    state["layers.2.neurons.0.b"] = 1.0
    state[7] = 1.0  # a non-string key
    with pytest.raises(StateDictError) as info:
        m.load_state_dict(state)
    assert str(info.value) == (
        "load_state_dict into MLP: missing: 'layers.0.neurons.1.b', 'layers.1.neurons.0.w.0'; "
        "unexpected: 7, 'layers.2.neurons.0.b'; not a float: layers.0.neurons.0.w.0='0.5', "
        "layers.0.neurons.0.w.1=True, layers.1.neurons.0.b=" + "1" + "0" * 56 + "... (no parameter was changed)")
    assert parameter_bits(m) == before


def test_load_state_dict_not_strict_skips_names_but_not_bad_values(parameter_bits):
    m = MLP(1, [1], rng=0)
    missing, unexpected = m.load_state_dict({"layers.0.neurons.0.w.0": 2, "extra": 1.0}, strict=False)
    assert (missing, unexpected) == (["layers.0.neurons.0.b"], ["extra"])
    assert m.layers[0].neurons[0].w[0].data == 2.0 and type(m.layers[0].neurons[0].w[0].data) is float
    before = parameter_bits(m)
    with pytest.raises(StateDictError, match=r"not a float: layers\.0\.neurons\.0\.b=None \(no parameter"):
        m.load_state_dict({"layers.0.neurons.0.w.0": 3.0, "layers.0.neurons.0.b": None}, strict=False)
    assert parameter_bits(m) == before


def test_load_state_dict_wants_a_dict():
    with pytest.raises(TypeError, match=r"^load_state_dict: expected a dict, got list$"):
        MLP(1, [1], rng=0).load_state_dict([("layers.0.neurons.0.b", 1.0)])


def test_common_mistakes_name_the_class_the_argument_and_what_was_expected():
    with pytest.raises(TypeError, match=r"^MLP nouts: expected a list of layer widths such as \[16, 1\], got int 3 "
                                        r"\(for one layer of 3 outputs, pass \[3\]\)$"):
        MLP(2, 3)
    with pytest.raises(TypeError, match=r"^MLP nouts: expected a list of layer widths such as \[16, 1\], "
                                        r"got str '31'$"):
        MLP(2, "31")
    with pytest.raises(TypeError, match=r"^MLP nouts\[1\]: expected an int, got float 2.0$"):
        MLP(2, [3, 2.0])
    with pytest.raises(ValueError, match=r"^MLP nouts\[0\]: must be at least 1, got 0$"):
        MLP(2, [0])
    with pytest.raises(TypeError, match=r"^MLP nin: expected an int, got list \[2\]$"):
        MLP([2], [3])
    with pytest.raises(TypeError, match=r"^MLP activation: expected a name, one of \['linear', 'relu', 'sigmoid', "
                                        r"'tanh'\], got builtin_function_or_method <built-in function tanh>$"):
        MLP(2, [3], activation=math.tanh)
    m = MLP(2, [3, 1], rng=0)
    with pytest.raises(TypeError, match=r"^MLP: input must be a list of 2 numbers or Values, got float 1.0$"):
        m(1.0)
    with pytest.raises(TypeError, match=r"^MLP: input must be a list of 1 numbers or Values, got float 1.0 "
                                        r"\(for one input, pass \[1.0\]\)$"):
        MLP(1, [1], rng=0)(1.0)
    with pytest.raises(ValueError, match=r"^MLP: expected 2 inputs, got 3; it takes one example: for a batch, "
                                         r"call it on each, \[model\(x\) for x in batch\]$"):
        m([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with pytest.raises(TypeError, match=r"^MLP: input 0 is a list, not a number; it takes one example"):
        m([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match=r"^Neuron: input must be a list of 2 numbers or Values, got str 'ab'$"):
        Neuron(2, rng=0)("ab")


@pytest.mark.parametrize("build, message", [
    (lambda: MLP(10**9, [1]), r"^MLP\(nin=1000000000, nouts=\[1\]\): 1,000,000,001 parameters, more than "
                              r"micrograd_lite\.nn\.MAX_PARAMETERS = 10,000,000; each is a Python object, so this "
                              r"would run out of memory \(raise MAX_PARAMETERS to build it anyway\)$"),
    (lambda: MLP(2, [10**5, 10**5, 1]), r"^MLP\(nin=2, nouts=\[100000, 100000, 1\]\): 10,000,500,001 parameters"),
    (lambda: Layer(10**4, 10**4), r"^Layer\(nin=10000, nout=10000\): 100,010,000 parameters"),
    (lambda: Neuron(10**8), r"^Neuron\(nin=100000000\): 100,000,001 parameters"),
    (lambda: Embedding(10**6, 100), r"^Embedding\(num_embeddings=1000000, embedding_dim=100\): 100,000,000 parameters"),
])
def test_absurd_sizes_are_refused_before_allocating(build, message):
    import tracemalloc
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=message):
            build()
        assert tracemalloc.get_traced_memory()[1] < 10**6  # refused before anything was allocated
    finally:
        tracemalloc.stop()


def test_max_parameters_can_be_raised(monkeypatch):
    from micrograd_lite import nn
    with pytest.raises(ValueError, match="40 parameters, more than micrograd_lite.nn.MAX_PARAMETERS = 30"):
        monkeypatch.setattr(nn, "MAX_PARAMETERS", 30)
        MLP(3, [10])
    monkeypatch.setattr(nn, "MAX_PARAMETERS", 40)
    assert len(MLP(3, [10]).parameters()) == 40
