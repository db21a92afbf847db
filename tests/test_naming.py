"""micrograd_lite.explain.naming.display_name: one name per node for every printer (the trace, the page, check)."""

from demos import mazur
from micrograd_lite import Value, topological_order
from micrograd_lite.explain import check, trace_backward
from micrograd_lite.explain.naming import MAX_LENGTH, display_name


def test_labels_constants_and_ops():
    w5, out_h1, b2 = Value(0.4, label="w5"), Value(0.59, label="out_h1"), Value(0.6, label="b2")
    assert display_name(w5) == "w5"
    assert display_name(Value(0.5)) == "0.5" and display_name(Value(1 / 3)) == "0.3333"
    assert display_name(w5 * out_h1) == "w5·out_h1"
    assert display_name(out_h1 + b2) == "out_h1 + b2"
    assert display_name((0.01 - out_h1) ** 2) == "(0.01 − out_h1)^2"
    assert display_name((w5 * out_h1).sigmoid()) == "sigmoid(w5·out_h1)"
    assert display_name(Value(2.0, label="") + 1) == " + 1"  # an empty label is still the user's label


def test_names_are_bounded():
    x = Value(1.0, label="a_long_variable_name")
    for _ in range(30):
        x = (x * Value(2.0, label="another_long_name")).tanh()
    x.label = None
    name = display_name(x)
    assert len(name) <= MAX_LENGTH and name.startswith("tanh(") and "…" in name


def test_mazurs_trace_has_no_gradient_of_a_constant_and_no_numbered_names():
    p = mazur.make_params()
    root = mazur.forward(p)["E_total"]
    text = str(trace_backward(root))
    for v in topological_order(root):
        if not v.parents and v.label is None:
            assert f"∂E_total/∂{display_name(v)} " not in text
    assert "#" not in text
    assert "∂E_total/∂(0.01 − out_o1) = (-0.741365)" in text  # an unlabelled node, named after its op


def test_trace_lines_wrap_to_a_width():
    p = mazur.make_params()
    trace = trace_backward(mazur.forward(p)["E_total"])
    for width in (80, 100):
        lines = trace.format(width=width).splitlines()
        assert max(len(line) for line in lines) <= width
    assert trace.format(width=80).replace("\n", " ").split() == str(trace).replace("\n", " ").split()


def test_checks_sentences_name_unlabelled_nodes_the_same_way():
    p = mazur.make_params()
    root = mazur.forward(p)["E_total"]
    causes = check(root, {"∂E_total/∂out_o1": "-0.741365"})["∂E_total/∂out_o1"].causes
    assert any("0.01 − out_o1" in c.sentence for c in causes)
