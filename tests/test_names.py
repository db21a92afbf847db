"""Generated names (micrograd_lite.compiler.names): a label becomes an identifier only through `identifier`,
readable (``w₁`` -> ``w_1``), in NFKC form (so Python cannot fold two labels into one variable), unique
against every other generated name and temporary; the label itself appears only in an escaped comment.
compile (with check=True), compile(batch=True) and explain.backward_source give the engine's numbers with
the labels a learner (or a hostile user) types."""

import unicodedata

import pytest

from micrograd_lite import CompileError, Value, compile
from micrograd_lite.compiler.names import RESERVED, assign_names, identifier, temporary
from micrograd_lite.explain import backward_source

np = pytest.importorskip("numpy")

# Labels from the notes, full-width letters and ligatures that NFKC folds, keywords, builtins and names of
# the generated code, separators, control characters, empty strings.
HOSTILE = ["w", "ｗ", "fi", "ﬁ", "x0", "ｘ0", "z", "z_s", "_s_z", "_es_z", "w₁", "w_1", "x²", "x_2", "∂E/∂w",
           "dE_dw", "α", "σ", "µ", "μ", "lambda", "if", "None", "sum", "abs", "locals", "P", "X", "B", "p",
           "step", "forward", "grad_w", "grad_", "exp", "power_of", "a b", "a\nb", "a\rb", "a\u2028b",
           "\n#", "'", '"""', "", " ", "_", "__", "5", "0x", "__import__", "ᵢ", "E_total", "out h1",
           "x\u0301", "ℌ", "Ⅳ", "\x00", "tanh12", "mul3"]


@pytest.mark.parametrize("label", HOSTILE)
def test_identifier_is_empty_or_a_normalised_identifier_that_is_no_temporary(label):
    name = identifier(label)
    assert name == "" or (name.isidentifier() and not name.startswith("_") and "__" not in name)
    assert unicodedata.normalize("NFKC", name) == name


def test_identifier_keeps_the_notes_readable():
    labels = ["w₁", "x²", "x₁₂", "∂E/∂w", "HW[0][1]", "ｗ", "ﬁ", "lambda", "5", "α", "w'"]
    assert [identifier(s) for s in labels] == [
        "w_1", "x_2", "x_12", "dE_dw", "HW_0_1", "w", "fi", "lambda_", "v5", "α", "w_prime"]


def test_assigned_names_are_unique_and_reach_no_reserved_or_temporary_name():
    nodes = [Value(1.0, label=s) for s in HOSTILE] + [Value(1.0) for _ in range(3)]
    names = assign_names(nodes, lambda n: f"c{nodes.index(n)}")
    every = list(names.values()) + ["grad_" + v for v in names.values()]
    assert len(set(every)) == len(every)
    assert not set(every) & RESERVED
    assert not any(v.startswith("_") for v in every)
    assert temporary("z", "s").startswith("_")


def _engine(fn, params, x):
    for p in params:
        p.grad = 0.0
    out = fn(Value(x))
    out.backward()
    return out.data, [p.grad for p in params]


def _labelled_graph(labels):
    """A function of one input whose every parameter and op node carries one of `labels`, with a logsumexp
    (its temporaries) and example-independent nodes."""
    params = [Value(0.1 * (i + 1) * (-1) ** i, label=labels[i % len(labels)]) for i in range(len(labels))]

    def fn(x):
        x.label = labels[0]
        nodes = []
        for i, p in enumerate(params):
            q = (p * x + 0.5).tanh() if i % 2 else p * 2.0  # every other node ignores the example
            q.label = labels[(i + 1) % len(labels)]
            nodes.append(q)
        z = Value.logsumexp(nodes)
        z.label = "z"
        s = Value.sum(nodes)
        s.label = "z_s"
        out = z * s + Value.dot(params, params)
        out.label = labels[-1]
        return out
    return fn, params


def test_hostile_labels_compile_to_the_engines_numbers_scalar_batched_and_backward_source():
    fn, params = _labelled_graph(HOSTILE)
    step = compile(fn, 1.0, check=True)
    for x in (0.7, -1.3):
        loss, grads = _engine(fn, params, x)
        for p in params:
            p.grad = 0.0
        assert step(x) == loss
        assert [p.grad for p in params] == grads
    for line in step.source.splitlines():  # every label is in a comment, nowhere else
        assert line.startswith("# ") or "label" not in line
    batched = compile(fn, 1.0, batch=True)
    xs = [0.7, -1.3, 0.2]
    for p in params:
        p.grad = 0.0
    loss = batched(np.array(xs))
    got = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    total = Value.sum([fn(Value(x)) for x in xs]) * (1.0 / 3)
    total.backward()
    assert abs(loss - total.data) <= 1e-12 * max(1.0, abs(total.data))
    for a, b in zip(got, [p.grad for p in params]):
        assert abs(a - b) <= 1e-12 * max(1.0, abs(b))
    src = backward_source(fn(Value(0.7)), params=params, decimals=12)
    assert "label 'ｗ'" in src and "label 'ﬁ'" in src and "label 'a\\nb'" in src


def test_the_issues_label_cases():
    w, w2 = Value(2.0, label="w"), Value(3.0, label="ｗ")
    step = compile(lambda x: w * x + w2 * w2 * x, 1.0, check=True)
    assert step(1.5) == 2.0 * 1.5 + 9.0 * 1.5
    f1, f2 = Value(2.0, label="fi"), Value(5.0, label="ﬁ")
    assert compile(lambda x: f1 * x - f2, 1.0, check=True)(1.0) == -3.0
    p = Value(0.5, label="ｘ0")
    assert compile(lambda x: (p + x) ** 2, 1.0, check=True)(1.0) == 2.25
    v = Value(1.0, label="w")

    def lse(x):
        zs = v * x
        zs.label = "z_s"
        z = Value.logsumexp([zs, v, x])
        z.label = "z"
        return z * zs
    loss, grads = _engine(lse, [v], 1.0)
    v.grad = 0.0
    assert compile(lse, 1.0, check=True)(1.0) == loss and v.grad == grads[0]
    a, b = Value(1.0, label="w₁"), Value(2.0, label="x²")
    src = backward_source((a * b).tanh())
    assert "grad_w_1 = x_2 * grad_" in src and "# w_1: label 'w₁'" in src


def test_a_label_with_a_newline_stays_in_its_comment():
    w = Value(2.0, label="w\nimport os; os.exit(1)\n")
    step = compile(lambda x: w * x, 1.0)
    assert "\nimport os" not in step.source and step(3.0) == 6.0
    assert r"# w_import_os_os_exit_1: label 'w\nimport os; os.exit(1)\n'" in step.source


def test_check_true_names_the_node_never_a_bare_key_error():
    w = Value(1.0, label="ｗ")
    flip = [1.0]

    def fn(x):
        return (w * x * flip[0]).tanh()
    step = compile(fn, 1.0, check=True)
    flip[0] = 2.0  # the traced constant is frozen: check=True catches the difference, by name
    with pytest.raises(CompileError, match=r"^step \(check=True\): .* node \d+ is a leaf holding 1.0"):
        step(1.0)
