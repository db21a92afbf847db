"""Property tests (Hypothesis): every op of the engine and random expression DAGs agree with central
differences (through `gradcheck`); gradients are linear and accumulate; MLP, mse, cross_entropy and the
demo network's gradients are right at random points.

Finite differences only mean something where the function is smooth and well inside its domain, so, as
minitorch's tests do, inputs are bounded floats and:
- each raw op is tested on its own domain, away from its poles and kinks (a divisor, a relu input, a base
  raised to a negative power are drawn away from 0; log's argument from [0.01, 1000]; a base under a
  non-integer power is positive);
- inside random DAGs, the ops with a restricted domain see their operand through a wrapper that keeps it
  there: log(t*t + 0.5), a / (t*t + 0.5), (t*t + 0.5) ** k for a non-integer or negative k and
  (t*t + 0.5) ** u for a Value exponent; and a drawn example is rejected (`smooth_at`) when a value leaves
  [-1000, 1000] (exp overflow) or the input of a relu changes sign within eps of the point (its kink).
A failing DAG prints as its formula, e.g. ``f(x0, x1) = exp(t0) * t0 where t0 = tanh(x0 - x1);
at (0.5, -1.0)``; the profiles (ci, dev, thorough) are in conftest.py.
"""

import math
import operator

import pytest
from hypothesis import Phase, assume, example, find, given, settings
from hypothesis import strategies as st

from demos import mazur
from micrograd_lite import MLP, Value, cross_entropy, gradcheck, mse, topological_order

EPS = 1e-6      # gradcheck's default step, which smooth_at guards
BOUND = 1e3     # |every value in a checked graph| <= BOUND: no overflow, finite differences stay accurate


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo, hi):
    """Floats with lo <= |x| <= hi, either sign."""
    return floats(lo, hi) | floats(-hi, -lo)


ANY = floats(-100, 100)
KINKED = ("relu", "abs")  # ops whose derivative jumps where their input changes sign


def smooth_at(f, xs, eps=EPS, bound=BOUND):
    """True when finite differences of `f` at `xs` are meaningful: at xs and at every xs +- eps e_i, `f`
    evaluates without overflow, every node of its graph stays within [-bound, bound] and every relu's or abs's
    input has the same sign (-1, 0 or +1) at all those points, so no kink lies between them."""
    points = [list(xs)] + [[x + s * eps if j == i else x for j, x in enumerate(xs)]
                           for i in range(len(xs)) for s in (1, -1)]
    signs = set()
    for point in points:
        try:
            nodes = topological_order(f(*[Value(x) for x in point]))
        except OverflowError:
            return False
        if not all(abs(n.data) <= bound for n in nodes):  # NaN fails too
            return False
        signs.add(tuple((n.parents[0].data > 0) - (n.parents[0].data < 0) for n in nodes if n.op in KINKED))
    return len(signs) == 1


# ==== 1. every op on its own domain ==========================================================================
@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul], ids=["+", "-", "*"])
@given(a=ANY, b=ANY)
def test_add_sub_mul(op, a, b):
    assert gradcheck(lambda x, y: op(x, y), [a, b])
    assert gradcheck(lambda x: op(x, b), [a])  # a number on the right
    assert gradcheck(lambda y: op(a, y), [b])  # and on the left (__radd__, __rsub__, __rmul__)


@given(a=ANY, b=away_from_zero(0.1, 100))
def test_div(a, b):
    assert gradcheck(lambda x, y: x / y, [a, b])
    assert gradcheck(lambda x: x / b, [a])
    assert gradcheck(lambda y: a / y, [b])


@given(a=ANY)
def test_neg(a):
    assert gradcheck(lambda x: -x, [a])


@given(a=away_from_zero(0.1, 10), k=st.integers(-3, 4), as_float=st.booleans())
def test_pow_integer_exponent_any_sign_of_base(a, k, as_float):
    assert gradcheck(lambda x: x ** (float(k) if as_float else k), [a])


@given(a=floats(0.1, 10), k=floats(-3, 3))
def test_pow_real_exponent_positive_base(a, k):
    assert gradcheck(lambda x: x ** k, [a])


@given(a=floats(0.1, 10), b=floats(-3, 3))
def test_pow_value_exponent(a, b):
    assert gradcheck(lambda x, y: x ** y, [a, b])
    assert gradcheck(lambda y: a ** y, [b])  # a number base (__rpow__)


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid"])
@given(a=floats(-30, 30))
def test_exp_tanh_sigmoid(name, a):
    assert gradcheck(lambda x: getattr(x, name)(), [a])


@given(a=floats(0.01, 1000))
def test_log(a):
    assert gradcheck(lambda x: x.log(), [a])


@given(a=away_from_zero(1e-3, 100))
def test_relu(a):
    assert gradcheck(lambda x: x.relu(), [a])


@given(a=away_from_zero(1e-3, 100))
def test_abs(a):
    assert gradcheck(lambda x: abs(x), [a])


@given(a=floats(0.01, 1000))
def test_sqrt(a):
    assert gradcheck(lambda x: x.sqrt(), [a])


@given(xs=st.lists(ANY, min_size=1, max_size=5), start=ANY, start_is_value=st.booleans())
def test_sum(xs, start, start_is_value):
    if start_is_value:
        assert gradcheck(lambda s, *vs: Value.sum(vs, start=s), [start, *xs])
    else:
        assert gradcheck(lambda *vs: Value.sum(vs, start=start), xs)


@given(pairs=st.lists(st.tuples(floats(-10, 10), floats(-10, 10)), min_size=1, max_size=4),
       bias=st.none() | floats(-10, 10))
def test_dot(pairs, bias):
    n = len(pairs)
    ws, xs = [w for w, _ in pairs], [x for _, x in pairs]
    if bias is None:
        assert gradcheck(lambda *v: Value.dot(v[:n], v[n:]), ws + xs)
    else:
        assert gradcheck(lambda *v: Value.dot(v[:n], v[n:2 * n], v[2 * n]), ws + xs + [bias])


@given(xs=st.lists(floats(-50, 50), min_size=1, max_size=6))
def test_logsumexp(xs):
    assert gradcheck(lambda *vs: Value.logsumexp(vs), xs)


# ==== 2. random expression DAGs ===============================================================================
class Expr:
    """A node of a random expression: an input ``x{value}`` (op ``'x'``), a number `value` (op ``'const'``)
    or an engine op applied to `args`, a tuple of Exprs. The same Expr object may be an argument of several
    nodes: evaluation computes it once, so the engine sees a shared sub-expression (a diamond).
    ``repr`` prints the formula, naming each shared sub-expression once (``t0``, ``t1``, ...). (A plain
    class, not a dataclass: Hypothesis prints a dataclass field by field, ignoring its __repr__.)"""

    __slots__ = ("op", "args", "value")

    def __init__(self, op, args=(), value=0.0):
        self.op, self.args, self.value = op, args, value

    def __repr__(self):
        formula, shared = render(self)
        return formula + (" where " + ", ".join(shared) if shared else "")


def const(c):
    return Expr("const", value=c)


def positive(e):
    """e*e + 0.5 >= 0.5: the wrapper that keeps log, a divisor and a powered base inside their domain."""
    return Expr("+", (Expr("*", (e, e)), const(0.5)))


def _dot(*v):
    n = len(v) // 2  # v is w_1..w_n, x_1..x_n, then a bias when len(v) is odd
    return Value.dot(v[:n], v[n:2 * n], v[-1] if len(v) % 2 else None)


# How each op evaluates. Operands are Values, or plain floats for constants (so ``t ** 2.0`` is the number-
# exponent op and ``t + 0.5`` adds a constant leaf), exactly as a user would write them.
APPLY = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
    "neg": operator.neg, "exp": Value.exp, "log": Value.log, "tanh": Value.tanh, "sigmoid": Value.sigmoid,
    "relu": Value.relu, "abs": abs, "sqrt": Value.sqrt, "sum": lambda *v: Value.sum(v), "dot": _dot, "logsumexp": lambda *v: Value.logsumexp(v),
}
# Binding strength, as in Python, for printing only the parentheses a formula needs.
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


def evaluate(out, leaves):
    """The Value of expression `out` with ``x{i}`` = ``leaves[i]``; each Expr is computed once."""
    memo = {}

    def ev(e):
        if id(e) not in memo:
            if e.op == "x":
                memo[id(e)] = leaves[e.value]
            elif e.op == "const":
                memo[id(e)] = e.value
            else:
                memo[id(e)] = APPLY[e.op](*[ev(a) for a in e.args])
        return memo[id(e)]
    return ev(out)


def walk(out):
    """Every Expr below `out`, each once, arguments before the node."""
    seen, order = set(), []

    def visit(e):
        if id(e) not in seen:
            seen.add(id(e))
            for a in e.args:
                visit(a)
            order.append(e)
    visit(out)
    return order


def render(out):
    """(formula of `out`, ["t0 = ...", ...] for every computed sub-expression used more than once)."""
    uses = {}
    for e in walk(out):
        for a in e.args:
            uses[id(a)] = uses.get(id(a), 0) + 1
    names, shared = {}, []

    def text(e):
        """(text, precedence) of `e`; a name, number or function call binds tightest (5)."""
        if e.op == "x":
            return f"x{e.value}", 5
        if e.op == "const":
            return repr(e.value), 5
        if id(e) in names:
            return names[id(e)], 5
        args = [text(arg) for arg in e.args]
        a = [t for t, _ in args]
        prec = PRECEDENCE.get(e.op, 5)
        if e.op == "neg":
            s = "-" + (a[0] if args[0][1] >= prec else f"({a[0]})")
        elif prec < 5:  # a binary operator: parenthesise a weaker operand, and an equal one on the
            # right (a - (b - c)), or on the left of ** ((a ** b) ** c)
            left_ok = args[0][1] > prec or (args[0][1] == prec and e.op != "**")
            right_ok = args[1][1] > prec or (e.op == "**" and args[1][1] == prec)
            s = (f"{a[0] if left_ok else f'({a[0]})'} {e.op} {a[1] if right_ok else f'({a[1]})'}")
        elif e.op == "dot":
            n = len(a) // 2
            bias = f", {a[-1]}" if len(a) % 2 else ""
            s = f"dot([{', '.join(a[:n])}], [{', '.join(a[n:2 * n])}]{bias})"
        elif e.op in ("sum", "logsumexp"):
            s = f"{e.op}([{', '.join(a)}])"
        else:
            s = f"{e.op}({a[0]})"
        if uses.get(id(e), 0) > 1:  # shared: defined once under a name
            names[id(e)] = f"t{len(names)}"
            shared.append(f"{names[id(e)]} = {s}")
            return names[id(e)], 5
        return s, prec

    return text(out)[0], shared


# The choices a DAG step makes; the first is what shrinking aims for. "**k" raises to a number, "**v" to a
# Value; integer k in (2, 3) takes any base, every other k a positive one.
STEP_OPS = ["+", "-", "*", "/", "neg", "**k", "**v", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs",
            "sum", "dot", "logsumexp"]
EXPONENTS = [2, 3, 0.5, -1, 1.5, -2, -0.5]


@st.composite
def expressions(draw, n_inputs, max_steps=16):
    """A random expression of x0..x{n_inputs-1}, built in 1..max_steps steps. Each step applies an op
    (through its domain wrapper) to the newest node and, as its other operands, to any earlier nodes or
    inputs; so every step is part of the result (a chain as long as the steps), and a node picked again
    later is a shared sub-expression (a diamond)."""
    pool = [Expr("x", value=i) for i in range(n_inputs)]

    def pick():  # counted back from the newest node, so shrinking moves operands toward it
        return pool[-1 - draw(st.integers(0, len(pool) - 1))]

    def ordered(a, b):  # which side of a binary op the chain runs through
        return (b, a) if draw(st.booleans()) else (a, b)

    for kind in draw(st.lists(st.sampled_from(STEP_OPS), min_size=1, max_size=max_steps)):
        a = pool[-1]
        if kind in ("+", "-", "*"):
            node = Expr(kind, ordered(a, pick()))
        elif kind == "/":
            num, den = ordered(a, pick())
            node = Expr("/", (num, positive(den)))
        elif kind == "**k":
            k = draw(st.sampled_from(EXPONENTS))
            node = Expr("**", (a if k in (2, 3) else positive(a), const(float(k))))
        elif kind == "**v":
            base, exponent = ordered(a, pick())
            node = Expr("**", (positive(base), exponent))
        elif kind in ("log", "sqrt"):
            node = Expr(kind, (positive(a),))
        elif kind in ("sum", "logsumexp"):
            node = Expr(kind, (a, *(pick() for _ in range(draw(st.integers(0, 2))))))
        elif kind == "dot":
            n = draw(st.integers(1, 2))
            node = Expr("dot", (a, *(pick() for _ in range(2 * n - 1 + draw(st.integers(0, 1))))))
        else:  # neg, exp, tanh, sigmoid, relu, abs: any operand (smooth_at rejects overflow and kinks)
            node = Expr(kind, (a,))
        pool.append(node)
    return pool[-1]


class Case:
    """The function f(x0, ..) = `out` (an Expr) to check at the point `inputs` (a tuple of floats);
    calling it with Values evaluates `out`."""

    __slots__ = ("out", "inputs")

    def __init__(self, out, inputs):
        self.out, self.inputs = out, tuple(inputs)

    def __call__(self, *leaves):
        return evaluate(self.out, leaves)

    def __repr__(self):
        names = ", ".join(f"x{i}" for i in range(len(self.inputs)))
        return f"f({names}) = {self.out!r}; at {self.inputs!r}"


INPUTS = floats(-2, 2)


@st.composite
def _cases(draw, max_inputs=3):
    n = draw(st.integers(1, max_inputs))
    out = draw(expressions(n))
    return Case(out, tuple(draw(st.lists(INPUTS, min_size=n, max_size=n))))


cases = _cases().filter(lambda c: smooth_at(c, c.inputs))


TANH_SQUARED = Expr("tanh", (Expr("x", value=0),))
TANH_SQUARED = Expr("*", (TANH_SQUARED, TANH_SQUARED))  # the smallest diamond: one node read twice


@given(case=cases)
@example(case=Case(TANH_SQUARED, (0.5,)))
def test_random_dag_matches_central_differences(case):
    assert gradcheck(case, case.inputs)


@given(case=cases)
def test_backward_twice_doubles_leaf_grads_and_zero_grad_resets(case):
    leaves = [Value(x) for x in case.inputs]
    out = case(*leaves)
    nodes = topological_order(out)
    out.backward()
    first = [n.grad for n in nodes]
    out.backward()
    for n, g in zip(nodes, first):
        if n.parents:  # an interior node holds this call's gradient
            assert n.grad == g
        else:          # a leaf (input or constant) accumulates
            assert n.grad == pytest.approx(2 * g, rel=1e-12, abs=1e-12)
    out.zero_grad()
    assert all(n.grad == 0.0 for n in nodes)
    out.backward()
    assert [n.grad for n in nodes] == first  # from zero again: the same computation, the same floats


@st.composite
def linear_combinations(draw):
    n = draw(st.integers(1, 3))
    f, g = draw(expressions(n)), draw(expressions(n))
    xs = draw(st.lists(INPUTS, min_size=n, max_size=n))
    a, b = draw(floats(-3, 3)), draw(floats(-3, 3))
    assume(smooth_at(Case(f, xs), xs) and smooth_at(Case(g, xs), xs))
    return Case(f, tuple(xs)), Case(g, tuple(xs)), a, b


def _grads(f, xs):
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    return [v.grad for v in leaves]


@given(combination=linear_combinations())
def test_gradient_is_linear(combination):
    f, g, a, b = combination
    xs = f.inputs
    gf, gg = _grads(f, xs), _grads(g, xs)
    gh = _grads(lambda *v: a * f(*v) + b * g(*v), xs)
    for h, u, w in zip(gh, gf, gg):
        # Rounding: a gradient is a sum of chain-rule products, exact to ~1e-16 of the size of its terms,
        # which can cancel (d/dx of logsumexp([x, x]) - x is 0.5 + 0.5 - 1): hence an absolute allowance.
        assert h == pytest.approx(a * u + b * w, rel=1e-9,
                                  abs=1e-9 * (abs(a) + abs(b) + abs(a * u) + abs(b * w)))


# For checking what the strategy can generate: the first example found will do (no shrinking).
EXPLORE = settings(database=None, derandomize=True, max_examples=2000, phases=[Phase.generate])


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "neg", "**number", "**Value", "exp", "log", "sqrt", "tanh",
                                "sigmoid", "relu", "abs", "sum", "dot", "logsumexp"])
def test_dag_strategy_reaches_every_op(op):
    def uses(case):
        for e in walk(case.out):
            if e.op == "**":
                name = "**number" if e.args[1].op == "const" else "**Value"
            else:
                name = e.op
            if name == op:
                return True
        return False
    found = find(cases, uses, settings=EXPLORE)
    assert uses(found) and gradcheck(found, found.inputs)


def test_dag_strategy_makes_diamonds_and_chains():
    def diamond(case):  # a computed node that two different nodes read
        parents = {}
        for e in walk(case.out):
            for a in set(map(id, e.args)):
                parents[a] = parents.get(a, 0) + 1
        return any(parents.get(id(e), 0) >= 2 for e in walk(case.out) if e.args)

    def depth(e):
        return 1 + max(map(depth, e.args)) if e.args else 0

    assert diamond(find(cases, diamond, settings=EXPLORE))
    assert depth(find(cases, lambda c: depth(c.out) >= 8, settings=EXPLORE).out) >= 8


def test_a_dag_prints_as_its_formula():
    x0, x1 = Expr("x", value=0), Expr("x", value=1)
    t = Expr("tanh", (Expr("-", (x0, x1)),))
    case = Case(Expr("*", (Expr("exp", (t,)), t)), (0.5, -1.0))
    assert repr(case) == "f(x0, x1) = exp(t0) * t0 where t0 = tanh(x0 - x1); at (0.5, -1.0)"
    assert repr(Expr("log", (positive(x0),))) == "log(x0 * x0 + 0.5)"
    assert repr(Expr("*", (Expr("+", (x0, x1)), Expr("neg", (x1,))))) == "(x0 + x1) * -x1"
    assert repr(Expr("-", (Expr("-", (x0, x1)), Expr("-", (x1, x0))))) == "x0 - x1 - (x1 - x0)"
    assert repr(Expr("neg", (Expr("**", (x0, const(2.0))),))) == "-x0 ** 2.0"  # as Python reads it
    assert repr(Expr("**", (Expr("neg", (x0,)), x1))) == "(-x0) ** x1"
    assert case(Value(0.5), Value(-1.0)).data == pytest.approx(math.exp(math.tanh(1.5)) * math.tanh(1.5))


# ==== 3. networks and losses ==================================================================================
def _layers(template, values):
    """Per-layer weight rows and biases in `MLP`'s format, taken in order from `values` (one per parameter
    of `template`, in its parameters() order: each neuron's weights, then its bias)."""
    it = iter(values)
    rows = [[[next(it) for _ in range(n.nin + 1)] for n in layer.neurons] for layer in template.layers]
    return [[r[:-1] for r in layer] for layer in rows], [[r[-1] for r in layer] for layer in rows]


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@given(seed=st.integers(0, 2**32 - 1), nin=st.integers(1, 3),
       widths=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       output_activation=st.sampled_from(["linear", "tanh", "sigmoid", "relu"]), data=st.data())
def test_mlp_parameter_and_input_gradients(activation, seed, nin, widths, output_activation, data):
    template = MLP(nin, widths, activation, output_activation, rng=seed)
    n_params = len(template.parameters())
    x = data.draw(st.lists(floats(-2, 2), min_size=nin, max_size=nin), label="x")
    targets = data.draw(st.lists(floats(-1, 1), min_size=widths[-1], max_size=widths[-1]), label="targets")

    def loss(*values):
        weights, biases = _layers(template, values[:n_params])
        model = MLP(nin, widths, activation, output_activation, weights=weights, biases=biases)
        params = model.parameters()
        assert len(params) == n_params and all(p is v for p, v in zip(params, values))  # the Values checked
        return mse(model(values[n_params:]), targets)

    point = [p.data for p in template.parameters()] + x
    assume(smooth_at(loss, point))
    assert gradcheck(loss, point)


@given(pairs=st.lists(st.tuples(floats(-10, 10), floats(-10, 10)), min_size=1, max_size=5))
def test_mse_gradient_is_output_minus_target(pairs):
    outs, targets = [Value(o) for o, _ in pairs], [t for _, t in pairs]
    loss = mse(outs, targets)
    assert loss.data == pytest.approx(sum(0.5 * (t - o) ** 2 for o, t in pairs), rel=1e-12, abs=1e-300)
    loss.backward()
    assert [o.grad for o in outs] == pytest.approx([o - t for o, t in pairs], rel=1e-12, abs=1e-12)
    n = len(pairs)
    assert gradcheck(lambda *v: mse(v[:n], v[n:]), [o for o, _ in pairs] + targets)  # targets as Values too


def _softmax(z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    return [x / sum(e) for x in e]


@st.composite
def logits_and_targets(draw, batch):
    c = draw(st.integers(1, 5))
    row = st.lists(floats(-30, 30), min_size=c, max_size=c)
    rows = draw(st.lists(row, min_size=batch[0], max_size=batch[1]))
    return rows, [draw(st.integers(0, c - 1)) for _ in rows]


@given(case=logits_and_targets(batch=(1, 1)))
def test_cross_entropy_gradient_is_softmax_minus_one_hot(case):
    [z], [t] = case
    logits = [Value(v) for v in z]
    loss = cross_entropy(logits, t)
    loss.backward()
    expected = [p - (i == t) for i, p in enumerate(_softmax(z))]
    assert [v.grad for v in logits] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert gradcheck(lambda *v: cross_entropy(list(v), t), z)


@given(case=logits_and_targets(batch=(1, 4)), reduction=st.sampled_from(["mean", "sum"]))
def test_batched_cross_entropy_gradient_is_divided_by_batch_size_for_the_mean(case, reduction):
    rows, targets = case
    logits = [[Value(v) for v in row] for row in rows]
    cross_entropy(logits, targets, reduction=reduction).backward()
    scale = 1 / len(rows) if reduction == "mean" else 1.0
    for row, z, t in zip(logits, rows, targets):
        expected = [(p - (i == t)) * scale for i, p in enumerate(_softmax(z))]
        assert [v.grad for v in row] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    c = len(rows[0])

    def loss(*v):
        return cross_entropy([list(v[i:i + c]) for i in range(0, len(v), c)], targets, reduction=reduction)
    assert gradcheck(loss, [v for row in rows for v in row])


@given(values=st.lists(floats(-2, 2), min_size=10, max_size=10))
@example(values=[mazur.INITIAL[k] for k in mazur.PARAMS])  # the notes' own point
def test_mazur_network_ten_gradients(values):
    def e_total(*params):
        return mazur.forward(dict(zip(mazur.PARAMS, params)))["E_total"]
    assert gradcheck(e_total, values)
    # The demo's own path (make_params, forward, backward) agrees with the notes' delta rule here too.
    p = mazur.make_params(dict(zip(mazur.PARAMS, values)))
    nodes = mazur.forward(p)
    nodes["E_total"].backward()
    hand = mazur.hand_gradients({k: n.data for k, n in nodes.items()}, w={k: p[k].data for k in mazur.PARAMS})
    assert [p[k].grad for k in mazur.PARAMS] == pytest.approx([hand[k] for k in mazur.PARAMS],
                                                              rel=1e-9, abs=1e-15)
