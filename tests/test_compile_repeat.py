"""`compile` of a batch of repeated parts (`compiler.repeat`): each shape's code written once and run in a loop
gives the straight-line step's numbers bit for bit, and the engine's; a graph that does not split into
identical parts exactly falls back to the straight-line step."""

import math
import random
import struct

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from micrograd_lite import Embedding, Layer, Value, compile, cross_entropy
from micrograd_lite.compiler import repeat
from micrograd_lite.compiler.trace import trace
from test_compile_properties import close, programs


def bits(x):
    return struct.pack("<d", x)


@pytest.fixture
def always(monkeypatch):
    """Any graph large enough for a loop: the thresholds down to nothing."""
    monkeypatch.setattr(repeat, "MIN_OPS", 0)
    monkeypatch.setattr(repeat, "MIN_PART", 0)


def straight_line(fn, *args):
    saved = repeat.MIN_OPS
    repeat.MIN_OPS = math.inf
    try:
        return compile(fn, *args)
    finally:
        repeat.MIN_OPS = saved


def makemore(activation="tanh", seed=0, contexts=None, targets=None):
    rng = random.Random(seed)
    emb = Embedding(27, 4, rng=rng)
    hidden = Layer(12, 8, activation, rng=rng)
    out = Layer(8, 27, "linear", rng=rng)
    params = emb.parameters() + hidden.parameters() + out.parameters()
    # rows repeated within a context (the start of a name: [0, 0, 0]) and between contexts, an example twice
    X = contexts or [[0, 0, 0], [0, 0, 5], [0, 5, 1], [5, 1, 18], [3, 3, 9], [0, 0, 0], [7, 2, 7], [26, 1, 2],
                     [5, 1, 18], [4, 4, 4]]
    Y = targets or [5, 1, 18, 0, 9, 5, 26, 3, 0, 4]

    def loss():
        return cross_entropy([out(hidden(x)) for x in emb.lookup(X)], Y)
    return loss, params


def run(step, params, start):
    for p, g in zip(params, start):
        p.grad = g
    loss = step()
    return loss, [p.grad for p in params]


def engine(fn, params, start):
    for p, g in zip(params, start):
        p.grad = g
    out = fn()
    out.backward()
    return out.data, [p.grad for p in params]


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_a_makemore_batch_runs_in_a_loop_with_the_engines_numbers_bit_for_bit(always, activation):
    fn, params = makemore(activation)
    split = repeat.split(trace(fn, ()))
    assert split is not None and len(split.parts) == 10 and split.peel == 1
    assert 1 < len(split.shapes) < 10  # rows repeated within a context make their own shapes
    looped, plain = compile(fn), straight_line(fn)
    assert "for _b in" in looped.source and "for _b in" not in plain.source
    assert looped.source.count("\n") < plain.source.count("\n") / 2
    rng = random.Random(1)
    for moved in range(3):  # gradients accumulate onto what .grad holds; the parameters move between calls
        start = [rng.uniform(-1, 1) for _ in params]
        want = engine(fn, params, start)
        got, straight = run(looped, params, start), run(plain, params, start)
        assert bits(got[0]) == bits(straight[0]) and bits(looped.forward()) == bits(got[0])
        assert [bits(g) for g in got[1]] == [bits(g) for g in straight[1]]
        if moved:  # cross_entropy's shift (the largest logit) is frozen at its traced value: to rounding
            assert close(got[0], want[0]) and all(close(g, h) for g, h in zip(got[1], want[1]))
        else:
            assert bits(got[0]) == bits(want[0]) and [bits(g) for g in got[1]] == [bits(g) for g in want[1]]
        for p in params:
            p.data += 0.1 * rng.uniform(-1, 1)


def test_the_default_thresholds_keep_a_small_graph_straight_line():
    fn, _ = makemore()
    t = trace(fn, ())
    assert repeat.split(t) is None  # 10 parts of about 80 ops: under MIN_OPS
    assert repeat.split(t, min_ops=0, min_part=0) is not None
    assert repeat.split(t, min_ops=0, min_part=10_000) is None


def check_falls_back(fn, params, looped=False):
    step = compile(fn)
    assert ("for _b in" in step.source) == looped
    start = [0.5] * len(params)
    want, got = engine(fn, params, start), run(step, params, start)
    assert bits(got[0]) == bits(want[0]) and [bits(g) for g in got[1]] == [bits(g) for g in want[1]]


def test_parts_sharing_a_node_fall_back(always):
    w = [Value(0.1 * i - 0.3) for i in range(6)]

    def fn():
        shared = w[0] * w[1]  # computed in the first example's part, read by every example
        return Value.sum([(shared * x + w[2] * x * x).tanh() for x in (0.5, 1.5, -2.0, 0.25)])
    assert repeat.split(trace(fn, ())) is None
    check_falls_back(fn, w)


def test_parts_that_look_alike_but_differ_fall_back(always):
    w = [Value(0.1 * i + 0.2) for i in range(4)]
    ops = [Value.tanh, Value.sigmoid, Value.exp, Value.relu, Value.tanh, Value.sigmoid]

    def after(v):  # more nodes after the difference than split peels off a part's end
        return ((v * w[2] + w[3]) * w[2]).tanh()

    def fn():  # one op differs per part: as many shapes as parts
        return Value.sum([after(op(w[0] * x + w[1])) for op, x in zip(ops, (0.5, 1.5, -2.0, 0.25, 1.0, 2.0))])
    assert repeat.split(trace(fn, ())) is None
    check_falls_back(fn, w)

    def wired(k):  # the same ops, an operand read from another position in half of the parts
        def fn():
            terms = []
            for i, x in enumerate((0.5, 1.5, -2.0, 0.25)):
                a, b = w[0] * x, w[1] * x
                terms.append(after((a * b) * (a if i % 2 == 0 or k else b)))
            return Value.sum(terms)
        return fn
    assert len(repeat.split(trace(wired(True), ())).shapes) == 1
    # the operand read differs in the middle of the part: two shapes, each written once, never confused
    assert [members for _, members in repeat.split(trace(wired(False), ())).shapes] == [[0, 2], [1, 3]]
    check_falls_back(wired(False), w, looped=True)


def test_a_tail_reading_inside_a_part_falls_back(always):
    w = [Value(0.3), Value(-0.7)]

    def fn():
        inner = [w[0] * x for x in (0.5, 1.5, -2.0, 0.25)]
        ends = [(v + w[1]).tanh() for v in inner]
        return Value.sum(ends) + inner[2] * inner[2]
    assert repeat.split(trace(fn, ())) is None
    check_falls_back(fn, w)


def test_a_row_read_per_example_and_once_elsewhere_falls_back(always):
    emb = Embedding(5, 2, rng=random.Random(0))
    w = Value(0.5)

    def fn():  # row 1 is read per example, and by the tail
        parts = [(w * a * b).tanh() for a, b in emb.lookup([[0], [1], [2], [1]])]
        return Value.sum(parts) * emb.weight[1][0]
    assert repeat.split(trace(fn, ())) is None
    check_falls_back(fn, emb.parameters() + [w])


@settings(deadline=None, max_examples=60)
@given(program=programs(), size=st.integers(2, 5), shifts=st.lists(st.floats(-0.3, 0.3), min_size=5, max_size=5))
def test_random_batch_graphs_loop_to_the_straight_line_steps_bits_and_the_engines_numbers(program, size, shifts):
    fn, params, example = program
    batch = [[x + s * (i + 1) for x in example] for i, s in zip(range(size), shifts)]

    def mean(*xs):  # one argument per example: a batch of `size` identical parts on different inputs
        return Value.sum([fn(*ex) for ex in xs]) * (1.0 / size)
    saved = repeat.MIN_OPS, repeat.MIN_PART
    repeat.MIN_OPS, repeat.MIN_PART = 0, 0
    try:
        try:
            for p in params:
                p.grad = 0.0
            out = mean(*[[Value(x) for x in ex] for ex in batch])
            out.backward()
        except (OverflowError, ValueError, ZeroDivisionError):
            assume(False)
        want = out.data, [p.grad for p in params]
        assume(all(math.isfinite(v) for v in [want[0], *want[1]]) and abs(want[0]) < 1e6)
        assert repeat.split(trace(mean, batch)) is not None
        looped = compile(mean, *batch)
    finally:
        repeat.MIN_OPS, repeat.MIN_PART = saved
    plain = straight_line(mean, *batch)
    assert "for _b in" in looped.source and "for _b in" not in plain.source
    results = []
    for step in (looped, plain):
        for p in params:
            p.grad = 0.0
        results.append((step(*batch), [p.grad for p in params]))
    (loss, grads), (loss2, grads2) = results
    assert bits(loss) == bits(loss2) and [bits(g) for g in grads] == [bits(g) for g in grads2]
    assert close(loss, want[0]) and all(close(g, h) for g, h in zip(grads, want[1]))


def test_a_peeled_end_reading_a_node_whose_gradient_starts_inside_a_branch_keeps_its_signed_zeros(always):
    w = [Value(-0.7), Value(-0.4), Value(-1.3)]

    def fn():
        ends = []
        for x, t in ((0.5, 0), (1.5, 1), (2.0, 1), (0.25, 0), (1.0, 0), (3.0, 1)):
            u = [w[k] * x for k in range(3)]  # all negative: every relu is off, s is 0.0
            s = Value.sum([v.relu() for v in u])  # u[k]'s gradient starts in the relu's branch, at 0.0
            ends.append(s * u[t] * -1.0)  # reads u[t], t depending on the example: u[t]'s gradient is -0.0
        return Value.sum(ends)
    split = repeat.split(trace(fn, ()))
    assert split is not None and split.peel == 2 and len(split.shapes) == 1
    looped, plain = compile(fn), straight_line(fn)
    assert "for _b in" in looped.source
    start = [-0.0] * len(w)  # -0.0 + 0.0 is 0.0: the sign of a zero gradient shows in .grad
    want, got, straight = engine(fn, w, start), run(looped, w, start), run(plain, w, start)
    assert [bits(g) for g in want[1]] == [bits(0.0)] * 3  # -0.0 had the relu branches started at -0.0
    assert [bits(g) for g in got[1]] == [bits(g) for g in straight[1]] == [bits(g) for g in want[1]]
    assert bits(got[0]) == bits(straight[0]) == bits(want[0])


def test_the_benchmarks_makemore_batch_loops_at_the_default_thresholds_with_the_engines_bits():
    from benchmarks import workloads
    emb, hidden, out, opt, X, Y = workloads.makemore_setup(n_hidden=50)  # benchmarks.compiled --quick

    def fn():
        return cross_entropy([out(hidden(x)) for x in emb.lookup(X)], Y)
    split = repeat.split(trace(fn, ()))
    assert split is not None and len(split.parts) == 32 and len(split.shapes) <= 8
    step = compile(fn)
    assert "for _b in" in step.source
    start = [0.25] * len(opt.params)
    want, got = engine(fn, opt.params, start), run(step, opt.params, start)
    assert bits(got[0]) == bits(want[0]) and [bits(g) for g in got[1]] == [bits(g) for g in want[1]]
