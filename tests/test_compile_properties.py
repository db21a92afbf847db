"""Property test: random graphs whose labels come from an adversarial alphabet and whose nodes are partly
example-independent (leaves drawn as parameters rather than inputs, a weight penalty, constants, shared
sub-expressions), compiled by `compile` (scalar, with and without check=True) and `compile(batch=True)`
(numpy; through the Values and on the step's `ParameterVector`, then one `Adam` update of the vector against
one of the Values), give the engine's loss and every gradient to 1e-12 (relative, against max(1, |value|))."""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from micrograd_lite import Adam, Value, compile, topological_order
from test_names import HOSTILE
from test_properties import cases

np = pytest.importorskip("numpy")

# the cases and test_names.HOSTILE, and short strings of characters that NFKC folds, that separate,
# that Python reads as code, or that the generated code uses
TRICKY = "wｗﬁfi_xｘ0０₁²∂αµμ ._\n\r\t#'\"\\()[]{}:;=+-*/gradsumPXBp\u2028\x00ℌⅣ"
LABELS = st.none() | st.sampled_from(HOSTILE) | st.text(TRICKY, max_size=5)


def close(a, b, tol=1e-12):
    return a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol * max(1.0, abs(a), abs(b))


@st.composite
def programs(draw):
    case = draw(cases)
    n = len(case.inputs)
    roles = draw(st.lists(st.booleans(), min_size=n, max_size=n))  # True: a parameter, False: an input
    if all(roles):
        roles[0] = False
    params = [Value(x, label=draw(LABELS)) for x, r in zip(case.inputs, roles) if r]
    w = Value(draw(st.floats(0.5, 2.0)), label=draw(LABELS))
    params.append(w)
    labels = draw(st.lists(LABELS, min_size=64, max_size=64))
    penalty = draw(st.booleans())
    example = [x for x, r in zip(case.inputs, roles) if not r]

    def fn(*xs):
        it_p, it_x = iter(params), iter(xs)
        leaves = [next(it_p) if r else next(it_x) for r in roles]
        out = case(*leaves) * w
        if penalty:  # example-independent: computed once in a batch, broadcast
            out = out + 0.01 * Value.dot(params, params)
        for i, node in enumerate(topological_order(out, leaves=False)):
            node.label = labels[i % len(labels)]
        for x, label in zip(xs, labels[::-1]):
            x.label = label
        return out
    return fn, params, example


def engine(fn, params, batch):
    for p in params:
        p.grad = 0.0
    out = Value.sum([fn(*[Value(x) for x in ex]) for ex in batch]) * (1.0 / len(batch))
    out.backward()
    return out.data, [p.grad for p in params]


@settings(deadline=None)
@given(program=programs(), shifts=st.lists(st.floats(-0.3, 0.3), min_size=0, max_size=3), data=st.data())
def test_random_labelled_graphs_compile_scalar_and_batched_to_the_engines_numbers(program, shifts, data):
    fn, params, example = program
    batch = [example] + [[x + s for x in example] for s in shifts]
    if data.draw(st.booleans()):  # B = the number of parameters: shapes (B, k) and (k, B) look alike
        batch = [[x + 0.01 * i for x in example] for i in range(len(params))]
    try:
        expected = [engine(fn, params, [ex]) for ex in batch]
        mean = engine(fn, params, batch)
    except (OverflowError, ValueError, ZeroDivisionError):
        assume(False)
    assume(all(math.isfinite(v) for v in [mean[0], *mean[1]]) and abs(mean[0]) < 1e6)
    step = compile(fn, *example)
    checked = compile(fn, *example, check=True)
    for ex, (loss, grads) in zip(batch, expected):
        for s in (step, checked):
            for p in params:
                p.grad = 0.0
            got = s(*ex)
            assert close(got, loss), (got, loss)
            assert all(close(p.grad, g) for p, g in zip(params, grads)), ([p.grad for p in params], grads)
    batched = compile(fn, *example, batch=True)
    for p in params:
        p.grad = 0.0
    got = batched(*[np.array([ex[i] for ex in batch]) for i in range(len(example))])
    assert close(got, mean[0]), (got, mean[0])
    assert all(close(p.grad, g) for p, g in zip(params, mean[1])), ([p.grad for p in params], mean[1])
    # the same batch on the step's parameter vector; then Adam on the vector and on the Values, same gradients
    vector = batched.parameter_vector()
    got = batched(*[np.array([ex[i] for ex in batch]) for i in range(len(example))], vector=vector)
    assert close(got, mean[0]), (got, mean[0])
    where = {p: i for i, p in enumerate(batched.params)}
    grads = vector.grad.tolist()
    assert all(close(grads[where[p]], g) if p in where else g == 0.0 for p, g in zip(params, mean[1]))
    reached = batched.params
    for p, g in zip(params, mean[1]):
        p.grad = g
    Adam([vector], lr=0.01).step()
    Adam(reached, lr=0.01).step()
    assert all(close(x, p.data) for x, p in zip(vector.data.tolist(), reached))
