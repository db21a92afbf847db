"""Every public constructor, loss and optimizer, given a wrong argument, raises an error that names the class or
function, the argument and what was expected: never a bare TypeError from inside (``'int' object is not
iterable``)."""

import math
import random

import pytest

from micrograd_lite import MLP, SGD, Adam, AdamW, Embedding, Layer, Neuron, Value, cross_entropy, log_softmax, mse, softmax


def test_the_red_teams_examples():
    with pytest.raises(TypeError, match=r"^Neuron weights: expected a list of 2 numbers or Values, got int 5$"):
        Neuron(2, weights=5)
    with pytest.raises(TypeError, match=r"^cross_entropy logits\[1\]: logits is a batch \(logits\[0\] is a list\), "
                                        r"so expected a list of 2 numbers or Values, got float 3\.0$"):
        cross_entropy([[1.0, 2.0], 3.0], [0, 0])


def test_nested_arguments_name_the_entry():
    with pytest.raises(TypeError, match=r"^Layer weights\[1\]: expected a list of 2 numbers or Values, got float 3\.0$"):
        Layer(2, 2, weights=[[1.0, 2.0], 3.0])
    with pytest.raises(TypeError, match=r"^MLP weights\[0\]\[1\]\[0\]: expected an int, float or Value, got str 'a'$"):
        MLP(2, [2], weights=[[[1.0, 2.0], ["a", 2.0]]])
    with pytest.raises(ValueError, match=r"^MLP biases\[1\]: expected a list of 1 numbers or Values, got 2 entries$"):
        MLP(2, [2, 1], biases=[None, [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"^cross_entropy logits\[1\]: expected 2 logits, as logits\[0\] has, got 3$"):
        cross_entropy([[1.0, 2.0], [1.0, 2.0, 3.0]], [0, 0])
    with pytest.raises(TypeError, match=r"^SGD params: expected Values, but item 0 is list \[1\.0\]$"):
        SGD([[1.0]], lr=0.1)
    with pytest.raises(TypeError, match=r"^softmax logits: expected a list of Values or numbers, got int 5$"):
        softmax(5)


def test_weights_given_keep_the_values_and_the_random_stream():
    # Checking the arguments first changes nothing that works: given Values are used as they are (shared),
    # numbers become new Values, and the random draws are the same as before.
    w = Value(0.5)
    n = Neuron(2, weights=[w, 1], bias=0)
    assert n.w[0] is w and [v.data for v in n.w] == [0.5, 1.0] and n.b.data == 0.0
    m = MLP(2, [2, 1], weights=[None, [[w, 2.0]]], rng=3)
    assert m.layers[1].neurons[0].w[0] is w
    assert [p.data for p in m.layers[0].parameters()] == [p.data for p in MLP(2, [2, 1], rng=3).layers[0].parameters()]
    rng = random.Random(7)
    bound = 1.0 / math.sqrt(2)
    expected = [rng.uniform(-bound, bound) for _ in range(3)]
    assert [p.data for p in Neuron(2, rng=7).parameters()] == expected


OK = {  # a valid call of each, as keyword arguments
    "Neuron": (Neuron, {"nin": 2}),
    "Layer": (Layer, {"nin": 2, "nout": 2}),
    "MLP": (MLP, {"nin": 2, "nouts": [2]}),
    "Embedding": (Embedding, {"num_embeddings": 2, "embedding_dim": 2}),
    "mse": (mse, {"outputs": [Value(1.0)], "targets": [1.0]}),
    "softmax": (softmax, {"logits": [1.0, 2.0]}),
    "log_softmax": (log_softmax, {"logits": [1.0, 2.0]}),
    "cross_entropy": (cross_entropy, {"logits": [1.0, 2.0], "target": 0}),
    "SGD": (SGD, {"params": [Value(1.0)], "lr": 0.1}),
    "Adam": (Adam, {"params": [Value(1.0)]}),
    "AdamW": (AdamW, {"params": [Value(1.0)]}),
}
ARGUMENTS = {
    "Neuron": ["nin", "activation", "weights", "bias", "rng"],
    "Layer": ["nin", "nout", "activation", "weights", "biases", "rng"],
    "MLP": ["nin", "nouts", "activation", "output_activation", "weights", "biases", "rng"],
    "Embedding": ["num_embeddings", "embedding_dim", "weights", "rng"],
    "mse": ["outputs", "targets"],
    "softmax": ["logits"],
    "log_softmax": ["logits"],
    "cross_entropy": ["logits", "target", "reduction"],
    "SGD": ["params", "lr", "momentum"],
    "Adam": ["params", "lr", "betas", "eps", "weight_decay"],
    "AdamW": ["params", "lr", "betas", "eps", "weight_decay"],
}
WRONG = [5, -1, 0, 2.5, True, "x", b"x", [1, "a"], [[1.0]], [], (), {"a": 1}, {1.0}, object(), float("nan"),
         float("-inf"), Value(1.0), 10**400, [None], [[1, 2], 3.0], [3.0, [1, 2]], [[[1.0]]], len]
CASES = [(name, arg, i) for name, args in ARGUMENTS.items() for arg in args for i in range(len(WRONG))]


@pytest.mark.parametrize("name, arg, i", CASES, ids=[f"{n}-{a}-{i}" for n, a, i in CASES])
def test_a_wrong_argument_names_the_function_the_argument_and_what_was_expected(name, arg, i):
    function, valid = OK[name]
    kwargs = dict(valid, **{arg: WRONG[i]})
    try:
        function(**kwargs)
    except (TypeError, ValueError, IndexError, OverflowError) as e:
        message = str(e)
        head = message.split(":")[0]
        assert message.startswith(name), message
        assert arg in head or f"{arg}=" in message or arg in message.split(";")[0], message
        assert any(word in message for word in ("expected", "must", "choose one of", "out of range",
                                                "out of float range", "more than")), message
    # Some wrong-looking values are valid (5 as nin, None for an optional argument): nothing to check then.
