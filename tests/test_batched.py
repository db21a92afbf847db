"""compile(..., batch=True): the batched step's loss and gradients equal the engine's on the same batch (the
makemore, moons and truth-table models, and every elementwise op), the generated source fuses a layer into one
matrix product, bad batches get CompileError naming the argument, and without numpy the error names the extra."""

import random
import sys

import pytest

import micrograd_lite as mg
from demos import makemore as mm
from demos import truth_table as tt
from micrograd_lite import MLP, CompileError, Value, cross_entropy

np = pytest.importorskip("numpy")


def grads(params):
    return [p.grad for p in params]


def assert_close(got, expected, tol=1e-12):
    assert len(got) == len(expected)
    for i, (a, b) in enumerate(zip(got, expected)):
        assert abs(a - b) <= tol * max(1.0, abs(b)), (i, a, b)


def zero(params):
    for p in params:
        p.grad = 0.0


def test_makemore_batch_gradients_equal_the_engine_on_the_same_batch():
    model = mm.NameMLP(emb=2, hidden=8, rng=3)
    params = model.parameters()
    rng = random.Random(0)
    X = [[rng.randrange(27) for _ in range(3)] for _ in range(6)]
    Y = [rng.randrange(27) for _ in range(6)]
    eye = np.eye(27)
    step = mg.compile(model.one_hot_loss, eye[[0, 0, 0]].tolist(), eye[0].tolist(), batch=True)
    assert sorted(map(id, step.params)) == sorted(map(id, params))
    zero(params)
    loss = step(eye[X], eye[Y])
    got = grads(params)
    zero(params)
    engine = cross_entropy(model(X), Y)
    engine.backward()
    assert abs(loss - engine.data) <= 1e-12
    assert_close(got, grads(params))
    assert step.forward(eye[X], eye[Y]) == loss
    # the hidden layer is one matrix product, its tanh one vector op
    assert any(" @ h" in line and "_W.T + p[" in line for line in step.source.splitlines())
    assert sum(1 for line in step.source.splitlines() if "tanh(" in line) == 1
    # every weight matrix a view of the parameter vector (no gather); the hidden layer's gradient assigned
    assert "p[I" not in step.source and "grad_h3 = fresh(" in step.source and "zeros(B, 8)" not in step.source


def test_sum_reduction_and_a_sequence_of_example_tuples():
    model = mm.NameMLP(emb=2, hidden=4, rng=1)
    params = model.parameters()
    eye = np.eye(27)
    X, Y = [[1, 2, 3], [0, 0, 5]], [4, 0]
    step = mg.compile(model.one_hot_loss, eye[[0, 0, 0]].tolist(), eye[0].tolist(), batch=True, reduction="sum")
    zero(params)
    loss = step([(eye[x].tolist(), eye[y].tolist()) for x, y in zip(X, Y)])
    got = grads(params)
    zero(params)
    engine = cross_entropy(model(X), Y, reduction="sum")
    engine.backward()
    assert abs(loss - engine.data) <= 1e-12
    assert_close(got, grads(params))


def test_moons_batch_gradients_equal_the_engine_relu_branches_included():
    model = MLP(2, [6, 6, 1], activation="relu", rng=2)
    params = model.parameters()
    rng = random.Random(1)
    pts = [[rng.uniform(-30, 30), rng.uniform(-30, 30)] for _ in range(16)]
    ys = [rng.choice((-1.0, 1.0)) for _ in pts]

    def hinge(x, y):
        return (1 - y * model(x)[0]).relu() + 1e-4 * Value.sum([p * p for p in params])
    step = mg.compile(hinge, [0.0, 0.0], 1.0, batch=True)
    assert "where(" in step.source
    zero(params)
    loss = step(np.array(pts), np.array(ys))
    got = grads(params)
    zero(params)
    scores = [model(x)[0] for x in pts]
    margins = [(1 - y * s).relu() for y, s in zip(ys, scores)]
    assert 0 < sum(m.data > 0 for m in margins) < len(margins)  # both sides of the relu are exercised
    engine = Value.sum(margins) * (1.0 / len(pts)) + 1e-4 * Value.sum([p * p for p in params])
    engine.backward()
    assert abs(loss - engine.data) <= 1e-12
    assert_close(got, grads(params))


def test_truth_table_batch_gradients_equal_the_engine():
    net = tt.TruthTableNet(rng=0)
    params = net.parameters()
    eye = np.eye(2)

    def loss_fn(context, target):
        il = [Value.sum([v]) for v in net.C.one_hot_lookup(context)]
        ha = [(Value.dot(n.w, il) + n.b).tanh() for n in net.hidden.neurons]
        raw = [Value.dot(n.w, ha) + n.b for n in net.output.neurons]
        m = max(z.data for z in raw)
        shifted = [z - m for z in raw]
        return Value.logsumexp(shifted) - Value.dot(shifted, target)
    targets = [tt.target("xor", c) for c in tt.CONTEXTS]
    step = mg.compile(loss_fn, eye[[0, 0]].tolist(), eye[0].tolist(), batch=True)
    zero(params)
    loss = step(eye[tt.CONTEXTS], eye[targets])
    got = grads(params)
    zero(params)
    engine = cross_entropy([net.forward(c)["RAW"] for c in tt.CONTEXTS], targets)
    engine.backward()
    assert abs(loss - engine.data) <= 1e-12
    assert_close(got, grads(params))


def test_every_elementwise_op_and_reduction_matches_the_engine():
    w = [Value(0.7), Value(-1.3), Value(0.4)]

    def fn(x):
        a = abs(w[0] * x[0]) + (w[1] / (x[1] + 3.0)).exp().log() - (x[0] ** 2 + 1.0).sqrt()
        b = (w[2] * x[1]).sigmoid() * (-w[0]).tanh() + (x[0] * w[1]).relu() + w[2] ** 3
        return Value.logsumexp([a, b, a * b]) + Value.dot([a, b], [w[1], x[1]]) + Value.sum([a, w[2]])
    batch = [[0.5, -0.2], [-1.5, 0.9], [0.0, 2.0], [2.5, -1.0]]
    step = mg.compile(fn, [1.0, 1.0], batch=True)
    zero(w)
    loss = step(np.array(batch))
    got = grads(w)
    zero(w)
    engine = Value.sum([fn([Value(a), Value(b)]) for a, b in batch]) * (1.0 / len(batch))
    engine.backward()
    assert abs(loss - engine.data) <= 1e-12 * abs(engine.data)
    assert_close(got, grads(w))


def test_loss_and_grad_reads_an_array_and_writes_no_value():
    w = Value(2.0)
    step = mg.compile(lambda x: (w * x) ** 2, 1.0, batch=True)
    loss, grad = step.loss_and_grad(np.array([3.0]), np.array([1.0, 2.0]))
    assert (loss, grad.tolist(), w.grad) == ((9.0 + 36.0) / 2, [(2 * 3 * 1 + 2 * 6 * 2) / 2], 0.0)
    with pytest.raises(CompileError, match=r"p must be a vector of 1 parameter values, got shape \(2,\)"):
        step.loss_and_grad(np.array([3.0, 1.0]), np.array([1.0]))


def test_bad_batches_name_the_argument():
    model = mm.NameMLP(emb=2, hidden=4, rng=1)
    eye = np.eye(27)
    step = mg.compile(model.one_hot_loss, eye[[0, 0, 0]].tolist(), eye[0].tolist(), batch=True)
    with pytest.raises(CompileError, match=r"^step: argument 1 has shape \(2, 26\); expected \(B, 27\)"):
        step(np.zeros((2, 3, 27)), np.zeros((2, 26)))
    with pytest.raises(CompileError, match=r"^step: argument 0 has shape \(2, 27\); expected \(B, 3, 27\)"):
        step(np.zeros((2, 27)), np.zeros((2, 27)))
    with pytest.raises(CompileError, match=r"^step: argument 1 has a batch of 3, argument 0 of 2$"):
        step(np.zeros((2, 3, 27)), np.zeros((3, 27)))
    with pytest.raises(CompileError, match=r"^step: 2 arguments expected"):
        step(np.zeros((2, 3, 27)), np.zeros((2, 27)), np.zeros(2))
    with pytest.raises(CompileError, match=r"^step: argument 0 must hold real numbers, got strings"):
        step([["a"]], np.zeros((1, 27)))
    with pytest.raises(CompileError, match=r"^step: the batch is empty$"):
        step(np.zeros((0, 3, 27)), np.zeros((0, 27)))
    with pytest.raises(CompileError, match=r"reduction must be 'mean' or 'sum', got 'max'"):
        mg.compile(model.one_hot_loss, eye[[0, 0, 0]].tolist(), eye[0].tolist(), batch=True, reduction="max")
    params = model.parameters()
    before = [(p.data, p.grad) for p in params]
    with pytest.raises(CompileError):
        step(np.zeros((2, 3, 27)), np.zeros((2, 26)))
    assert [(p.data, p.grad) for p in params] == before  # a refused batch changes nothing


def test_without_numpy_the_error_names_the_extra(monkeypatch):
    w = Value(1.0)
    monkeypatch.setitem(sys.modules, "numpy", None)  # `import numpy` now raises ImportError
    with pytest.raises(CompileError, match=r"needs numpy: pip install micrograd_lite\[fast\]$"):
        mg.compile(lambda x: w * x, 1.0, batch=True)


def test_makemore_compiled_training_follows_the_scalar_training():
    """The same seed, batches and updates: after a few steps both models hold the same parameters."""
    X, Y = mm.build_dataset(["emma", "olivia", "ava", "isabella"])
    a, b = mm.NameMLP(emb=2, hidden=6, rng=5), mm.NameMLP(emb=2, hidden=6, rng=5)
    la = mm.train(a, X, Y, 20, 0.5, random.Random(1), progress=False)
    lb = mm.train_compiled(b, X, Y, 20, 0.5, random.Random(1), progress=False)
    assert_close(lb, la, 1e-10)
    assert_close([p.data for p in b.parameters()], [p.data for p in a.parameters()], 1e-10)


def test_torch_backend_gives_numpys_losses_and_gradients():
    torch = pytest.importorskip("torch", reason="torch is in no extra that `make test` installs (a large download)")
    model = mm.NameMLP(emb=2, hidden=8, rng=3)
    eye = np.eye(27)
    rng = random.Random(0)
    X = eye[[[rng.randrange(27) for _ in range(3)] for _ in range(6)]]
    Y = eye[[rng.randrange(27) for _ in range(6)]]
    mlp = MLP(2, [5, 5, 1], activation="relu", rng=2)
    w = [Value(0.7), Value(-1.3), Value(0.4)]

    def hinge(x, y):
        return (1 - y * mlp(x)[0]).relu() + 1e-4 * Value.sum([q * q for q in mlp.parameters()])

    def ops(x):
        a = abs(w[0] * x[0]) + (w[1] / (x[1] + 3.0)).exp().log() - (x[0] ** 2 + 1.0).sqrt()
        b = (w[2] * x[1]).sigmoid() * (-w[0]).tanh() + (x[0] * w[1]).relu() + w[2] ** 3
        return Value.logsumexp([a, b, a * b]) + Value.dot([a, b], [w[1], x[1]]) + Value.sum([a, w[2]])
    cases = [(model.one_hot_loss, (eye[[0, 0, 0]].tolist(), eye[0].tolist()), (X, Y)),
             (hinge, ([0.0, 0.0], 1.0),
              (np.array([[20.0, -3.0], [0.1, 0.2], [-25.0, 9.0]]), np.array([1.0, -1.0, 1.0]))),
             (ops, ([1.0, 1.0],), (np.array([[0.5, -0.2], [-1.5, 0.9], [0.0, 2.0]]),))]
    for fn, example, batch in cases:
        on_numpy = mg.compile(fn, *example, batch=True)
        on_torch = mg.compile(fn, *example, batch=True, backend="torch")
        assert on_torch.source == on_numpy.source and on_torch.backend == "torch"
        p = [v.data for v in on_numpy.params]
        loss_np, grad_np = on_numpy.loss_and_grad(p, *batch)
        loss_t, grad_t = on_torch.loss_and_grad(p, *batch)
        assert torch.is_tensor(grad_t) and grad_t.dtype == torch.float64
        assert abs(loss_t - loss_np) <= 1e-12 * max(1.0, abs(loss_np))
        assert_close(grad_t.tolist(), grad_np.tolist())
        zero(on_torch.params)
        assert on_torch(*batch) == loss_t and [v.grad for v in on_torch.params] == grad_t.tolist()


def test_torch_backend_without_torch_names_the_extra(monkeypatch):
    w = Value(1.0)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(CompileError, match=r"needs PyTorch: pip install micrograd_lite\[torch\]$"):
        mg.compile(lambda x: w * x, 1.0, batch=True, backend="torch")
    with pytest.raises(CompileError, match=r"backend must be 'numpy' or 'torch', got 'jax'$"):
        mg.compile(lambda x: w * x, 1.0, batch=True, backend="jax")


def test_a_sum_with_a_number_start_keeps_it():
    w = Value(2.0)
    step = mg.compile(lambda x: Value.sum([w * x], 1.5), 1.0, batch=True)
    zero([w])
    assert step(np.array([1.0, 3.0])) == (2.0 + 1.5 + 6.0 + 1.5) / 2 and w.grad == 2.0


def test_a_weight_tied_within_one_layer_gets_both_contributions():
    w, v, b = Value(0.5), Value(-0.3), Value(0.1)

    def fn(x):
        h = [Value.dot([w, w], x, b), Value.dot([v, w], x, b)]  # one group, w three times, b twice
        return Value.sum([q.tanh() for q in h])
    batch = [[0.2, -1.0], [1.5, 0.3]]
    step = mg.compile(fn, [1.0, 1.0], batch=True)
    zero([w, v, b])
    loss = step(np.array(batch))
    got = grads([w, v, b])
    zero([w, v, b])
    engine = Value.sum([fn([Value(a), Value(c)]) for a, c in batch]) * 0.5
    engine.backward()
    assert abs(loss - engine.data) <= 1e-12
    assert_close(got, grads([w, v, b]))


# ---- nodes that do not depend on the example: computed once, broadcast, their gradients summed ------------
def engine_batch(fn, batch, params, reduction="mean"):
    """The loss and gradients of building the B graphs and backpropagating their mean (or sum)."""
    zero(params)
    total = Value.sum([fn(*example) for example in batch])
    loss = total * (1.0 / len(batch)) if reduction == "mean" else total
    loss.backward()
    return loss.data, grads(params)


def batched_batch(fn, example, batch, params, reduction="mean"):
    step = mg.compile(fn, *example, batch=True, reduction=reduction)
    zero(params)
    loss = step(*[np.array([ex[i] for ex in batch]) for i in range(len(example))])
    return loss, grads(params)


P3 = [Value(0.3), Value(-0.7), Value(1.1)]
WS, BIAS = [Value(0.5), Value(-0.25)], Value(0.1)
STATIC_CASES = {
    "L2 penalty Value.dot(P, P)": (lambda x: (Value.dot(P3, x) - 1.0) ** 2 + 0.01 * Value.dot(P3, P3),
                                   ([1.0, 2.0, 3.0],), P3, lambda r: ([r.gauss(0, 1) for _ in range(3)],)),
    "Value.dot(ws, [1.0, 2.0], b) * x": (lambda x: Value.dot(WS, [1.0, 2.0], BIAS) * x, (1.0,), WS + [BIAS],
                                         lambda r: (r.gauss(0, 1),)),
    "a norm": (lambda x: (Value.sum([p * p for p in P3]).sqrt() - x) ** 2, (1.0,), P3, lambda r: (r.gauss(0, 1),)),
    "a constant times a parameter": (lambda x: (3.0 * P3[0]) * x + (P3[1] * 2.0).tanh() * x * x, (1.0,),
                                     P3[:2], lambda r: (r.gauss(0, 1),)),
    "a layer on parameters": (lambda x: Value.sum([Value.dot(P3, P3[::-1], BIAS).tanh() * x, Value.logsumexp(
        [P3[0], P3[1] * 2.0, x]), Value.dot([P3[2], 1.5], [x, P3[0]])]), (1.0,), P3 + [BIAS],
                             lambda r: (r.gauss(0, 1),)),
    "a loss that ignores the example": (lambda x: (P3[0] - 2.0) ** 2 + P3[1].relu(), (1.0,), P3[:2],
                                        lambda r: (r.gauss(0, 1),)),
}


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("case", sorted(STATIC_CASES))
def test_example_independent_nodes_give_the_engines_gradients_for_every_batch_size(case, reduction):
    fn, example, params, draw = STATIC_CASES[case]
    rng = random.Random(case)
    for B in sorted({1, 2, 3, len(params), len(params) + 1, 7}):
        batch = [draw(rng) for _ in range(B)]
        loss, got = batched_batch(fn, example, batch, params, reduction)
        expected_loss, expected = engine_batch(fn, batch, params, reduction)
        assert abs(loss - expected_loss) <= 1e-12 * max(1.0, abs(expected_loss)), (case, B)
        assert_close(got, expected)


def test_an_example_independent_block_is_computed_once():
    step = mg.compile(STATIC_CASES["L2 penalty Value.dot(P, P)"][0], [1.0, 2.0, 3.0], batch=True)
    # the penalty's dot reads parameters only: one row (its gradient too), not one per example
    assert any("= expand(p[" in line and line.endswith(", 1, 3)") for line in step.source.splitlines())
    assert any(line.strip().startswith("grad_e4 = ") and line.endswith(", 1, 1)") for line in step.source.splitlines())


@pytest.mark.parametrize("bad, message", [
    ([None, 1.0], r"argument 0 must hold real numbers, got NoneType None$"),
    ([1.0 + 2.0j], r"argument 0 must hold real numbers, got complex numbers"),
    (np.array([1.0, None], dtype=object), r"argument 0 must hold real numbers, got NoneType None$"),
    (np.array([1.0, "x"], dtype=object), r"argument 0 must hold real numbers, got str 'x'$"),
    ([[1.0], [1.0, 2.0]], r"argument 0 is not an array of numbers: its lists have different lengths$"),
    ([True, False], r"argument 0 must hold real numbers, got bools"),
    ([Value(1.0)], r"argument 0 must hold real numbers, got Value .* \(pass its .data\)$"),
    ([], r"the batch is empty$"),
])
def test_arguments_that_are_not_real_numbers_are_refused_by_name(bad, message):
    w = Value(2.0)
    step = mg.compile(lambda x: w * x, 1.0, batch=True)
    with pytest.raises(CompileError, match="^step: " + message):
        step(bad)
    with pytest.raises(CompileError, match="^step.forward: " + message):
        step.forward(bad)
    assert w.grad == 0.0


def test_a_step_called_without_arguments_names_what_it_expects():
    w = Value(2.0)
    step = mg.compile(lambda x, y: w * x * y, 1.0, 2.0, batch=True)
    with pytest.raises(CompileError, match=r"^step: no arguments; expected 2 \(one array each"):
        step()
    with pytest.raises(CompileError, match=r"^step: argument 1 must hold real numbers, got NoneType None$"):
        step([1.0, 2.0], [None, 3.0])


@pytest.mark.parametrize("make", [lambda ps: mg.SGD(ps, lr=0.5), lambda ps: mg.SGD(ps, lr=0.2, momentum=0.9),
                                  lambda ps: mg.Adam(ps, lr=0.02), lambda ps: mg.AdamW(ps, lr=0.02, weight_decay=0.1),
                                  lambda ps: mg.Adam(ps, lr=0.02, weight_decay=0.05)],
                         ids=["SGD", "SGD-momentum", "Adam", "AdamW", "Adam-L2"])
def test_an_optimizer_on_the_parameter_vector_follows_the_same_optimizer_on_the_values(make):
    """80 steps of one optimizer on the Values (``step(X, Y)``, then ``opt.step()``) and on the step's
    `ParameterVector` (``step(X, Y, vector=v)``): the same parameters to 1e-12; the Values of the vector's model
    do not move until ``v.write_back()``."""
    eye = np.eye(27)
    a, b = mm.NameMLP(emb=2, hidden=6, rng=5), mm.NameMLP(emb=2, hidden=6, rng=5)
    example = (eye[[0, 0, 0]].tolist(), eye[0].tolist())
    step_a, step_b = mg.compile(a.one_hot_loss, *example, batch=True), mg.compile(b.one_hot_loss, *example, batch=True)
    opt_a, v = make(step_a.params), step_b.parameter_vector()
    data, opt_b = v.data, make([v])
    before = [p.data for p in step_b.params]
    rng = random.Random(2)
    for _ in range(80):
        X = eye[[[rng.randrange(27) for _ in range(3)] for _ in range(5)]]
        Y = eye[[rng.randrange(27) for _ in range(5)]]
        opt_a.zero_grad()
        loss_a = step_a(X, Y)
        opt_a.step()
        opt_b.zero_grad()
        loss_b = step_b(X, Y, vector=v)
        opt_b.step()
        assert abs(loss_a - loss_b) <= 1e-12 * max(1.0, abs(loss_a))
    assert v.data is data  # updated in place
    assert [p.data for p in step_b.params] == before
    assert max(abs(x - y) for x, y in zip(v.data.tolist(), before)) > 0.01  # it did train
    v.write_back()
    assert_close([p.data for p in step_b.params], [p.data for p in step_a.params])


def test_parameter_vector_errors_and_sync():
    eye = np.eye(27)
    model = mm.NameMLP(emb=2, hidden=4, rng=1)
    step = mg.compile(model.one_hot_loss, eye[[0, 0, 0]].tolist(), eye[0].tolist(), batch=True)
    other = mg.compile(model.one_hot_loss, eye[[0, 0, 0]].tolist(), eye[0].tolist(), batch=True)
    v = step.parameter_vector()
    assert repr(v) == f"ParameterVector({len(step.params)} parameters)"
    X, Y = eye[[[1, 2, 3]]], eye[[4]]
    with pytest.raises(CompileError, match=r"^step: vector must be this step's parameter_vector\(\), got "
                                           r"ParameterVector"):
        other(X, Y, vector=v)
    with pytest.raises(CompileError, match="vector must be this step's parameter_vector"):
        step(X, Y, vector=np.zeros(len(step.params)))
    zero(step.params)
    loss = step(X, Y, vector=v)
    assert loss == step(X, Y) and v.grad.tolist() == grads(step.params)  # the same numbers either way
    v.grad = 0.0
    assert not v.grad.any()
    with pytest.raises(CompileError, match=r"ParameterVector.grad: expected a number or a vector of \d+ values, "
                                           r"got shape \(3,\)"):
        v.grad = np.zeros(3)
    first = step.params[0]
    first.data = 7.0  # the model edited: the vector still holds the old value until read()
    assert v.data[0] != 7.0
    v.read()
    assert v.data[0] == 7.0
    v.data = np.zeros((2, 2))
    with pytest.raises(CompileError, match=r"write_back: \.data must be a vector of \d+ values, got shape \(2, 2\); "
                                           r"no parameter was changed"):
        v.write_back()
    assert first.data == 7.0
    v.data = np.arange(float(len(step.params)))
    v.write_back()
    assert [p.data for p in step.params] == list(range(len(step.params)))
