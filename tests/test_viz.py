"""viz: the notes' network drawn through the real `dot` program and read back from the SVG (every Value's
label, data and grad; the colours of parameters, inputs and w1's highlighted paths), deterministic DOT
source, and the errors (too many nodes, no `dot` on PATH, bad formats and arguments).

The tests that render take conftest's `dot` fixture: skipped, saying how to install Graphviz, when `dot` is
not on PATH, and failed instead under CI (`make test` installs it first when it can)."""

import collections
import xml.etree.ElementTree as ET

import pytest

import viz
from demos import mazur
from micrograd_lite import MLP, Value, topological_order

SVG = "{http://www.w3.org/2000/svg}"

# The Values on the two paths from w1 to E_total that the notes name (w1 -> net_h1 -> out_h1, then through
# o1 and through o2). Between out_o and E_o sit two unnamed nodes per path: target - out_o and its square.
W1_PATHS = {"w1", "net_h1", "out_h1", "net_o1", "out_o1", "E_o1", "net_o2", "out_o2", "E_o2", "E_total"}


def read_svg(path):
    """(nodes, edges) of a Graphviz SVG: nodes {id: (texts, border colour, fill colour)} and
    edges {(tail id, head id): colour}; Graphviz names each group by a <title> ("v3", "v3->v4_op")."""
    svg = ET.parse(path).getroot()
    nodes, edges = {}, {}
    for g in svg.iter(SVG + "g"):
        title = g.find(SVG + "title").text
        if g.get("class") == "node":
            shape = g.find(SVG + "polygon")
            if shape is None:
                shape = g.find(SVG + "ellipse")
            texts = tuple(t.text for t in g.iter(SVG + "text"))
            nodes[title] = (texts, shape.get("stroke"), shape.get("fill"))
        elif g.get("class") == "edge":
            tail, head = title.split("->")
            edges[(tail, head)] = g.find(SVG + "path").get("stroke")
    return nodes, edges


def value_nodes(nodes):
    """The record nodes (those that show a data field), keyed by id."""
    return {k: n for k, n in nodes.items() if any(t.startswith("data ") for t in n[0])}


@pytest.mark.usefixtures("dot")
def test_svg_shows_every_value_with_label_data_and_grad(mazur_net, tmp_path):
    p, n = mazur_net
    root = n["E_total"]
    out = viz.render(root, tmp_path / "mazur.svg", params=p.values())
    assert out == tmp_path / "mazur.svg"
    nodes, _ = read_svg(out)
    shown = value_nodes(nodes)
    # Every Value of the graph once, its label (when set), data and grad to 4 significant digits; a constant
    # (an unlabelled leaf) only its data.
    expected = collections.Counter(
        (*([] if v.label is None else [v.label]), f"data {v.data:.4g}",
         *([f"grad {v.grad:.4g}"] if v.parents or v.label is not None else []))
        for v in topological_order(root))
    assert collections.Counter(t for t, _, _ in shown.values()) == expected
    assert sum(expected.values()) == 33  # 10 parameters, 2 inputs, 6 constants, 15 computed
    by_label = {t[0]: t for t, _, _ in shown.values() if not t[0].startswith("data ")}
    assert len(by_label) == 23
    # Spot checks against the post's figures: dE/dw1 = 0.000438568, dE/dw5 = 0.082167041, E_total 0.298371109.
    assert by_label["w1"] == ("w1", "data 0.15", "grad 0.0004386")
    assert by_label["w5"] == ("w5", "data 0.4", "grad 0.08217")
    assert by_label["E_total"] == ("E_total", "data 0.2984", "grad 1")
    # One op node per computed Value, showing the engine's op name.
    ops = collections.Counter(t[0] for k, (t, _, _) in nodes.items() if k not in shown)
    assert ops == {"dot": 4, "sigmoid": 4, "-": 2, "**": 2, "*": 2, "+": 1}


@pytest.mark.usefixtures("dot")
def test_parameters_inputs_and_intermediates_are_filled_apart(mazur_net, tmp_path):
    p, n = mazur_net
    nodes, _ = read_svg(viz.render(n["E_total"], tmp_path / "g.svg", params=p.values()))
    fill = {t[0]: f for t, _, f in value_nodes(nodes).values()}
    for name in mazur.PARAMS:
        assert fill[name] == viz.PARAMETER_COLOR, name
    assert fill["i1"] == fill["i2"] == fill["data 0.5"] == viz.INPUT_COLOR
    for name in ("net_h1", "out_h2", "E_o1", "E_total"):
        assert fill[name] == "white", name
    assert len({viz.PARAMETER_COLOR, viz.INPUT_COLOR, "white"}) == 3


@pytest.mark.usefixtures("dot")
def test_highlight_colours_the_two_paths_from_w1_to_E_total(mazur_net, tmp_path):
    p, n = mazur_net
    nodes, edges = read_svg(viz.render(n["E_total"], tmp_path / "g.svg", highlight=p["w1"]))
    red = viz.HIGHLIGHT_COLOR
    name = {k: t[0] for k, (t, _, _) in nodes.items()}
    lit_values = {k for k, (_, stroke, _) in value_nodes(nodes).items() if stroke == red}
    assert {name[k] for k in lit_values if not name[k].startswith("data ")} == W1_PATHS
    assert len(lit_values) == 14  # plus target - out_o and its square on each path
    lit = {k for k, (_, stroke, _) in nodes.items() if stroke == red}
    assert len(lit) == 14 + 13  # and the op of each of the 13 computed Values among them
    red_edges = {e for e, colour in edges.items() if colour == red}
    # Each lit op: one edge to its Value, one from each lit operand (two into E_total's +).
    assert len(red_edges) == 13 + 14
    assert all(tail in lit and head in lit for tail, head in red_edges)
    assert all(colour == "black" for e, colour in edges.items() if e not in red_edges)
    out_h1 = next(k for k in nodes if name[k] == "out_h1")
    assert sum(tail == out_h1 for tail, _ in red_edges) == 2  # the fork: one path via o1, one via o2
    for other in ("w2", "w5", "out_h2", "b1", "i1"):
        k = next(k for k in nodes if name[k] == other)
        assert all(tail != k for tail, _ in red_edges), other


def test_highlight_takes_a_list_and_checks_its_values(mazur_net):
    p, n = mazur_net
    root = n["E_total"]
    one = viz.draw_dot(root, highlight=p["w5"]).source
    both = viz.draw_dot(root, highlight=[p["w1"], p["w5"]]).source
    # w5 alone lights one path (w5 -> net_o1 -> out_o1 -> E_o1 -> E_total); w1 adds out_h1's fork.
    assert one.count(viz.HIGHLIGHT_COLOR) < both.count(viz.HIGHLIGHT_COLOR)
    assert viz.draw_dot(root).source.count(viz.HIGHLIGHT_COLOR) == 0
    with pytest.raises(ValueError, match=r"highlight Value\(label='stray'.*not in the graph"):
        viz.draw_dot(root, highlight=Value(1.0, label="stray"))
    with pytest.raises(TypeError, match="highlight must be Values, got str 'w1'"):
        viz.draw_dot(root, highlight=["w1"])


def test_same_graph_gives_the_same_dot_source_byte_for_byte(mazur_net):
    p, n = mazur_net
    first = viz.draw_dot(n["E_total"], highlight=p["w1"], params=p.values()).source
    p2 = mazur.make_params()
    n2 = mazur.forward(p2)  # new objects, so any id() in the source would differ
    n2["E_total"].backward()
    second = viz.draw_dot(n2["E_total"], highlight=p2["w1"], params=p2.values()).source
    assert first == second
    assert "v0 [" in first and "v32 [" in first and "v33 [" not in first  # ids are topological positions
    p2["w1"].data = 0.16
    assert viz.draw_dot(n2["E_total"], highlight=p2["w1"], params=p2.values()).source != first


def test_too_many_nodes_raise_saying_how_many_and_what_to_do():
    x = Value(1.0, label="x")
    for _ in range(30):
        x = x * 1.01  # each step adds the product and a constant leaf
    assert len(topological_order(x)) == 61
    assert "x" in viz.draw_dot(x, max_nodes=61).source
    with pytest.raises(viz.GraphTooLargeError, match="has 61 Values, more than max_nodes=60") as err:
        viz.draw_dot(x, max_nodes=60)
    assert "intermediate Value as root" in str(err.value) and "raise max_nodes" in str(err.value)
    assert isinstance(err.value, ValueError)
    for _ in range(200):
        x = x * 1.01
    with pytest.raises(viz.GraphTooLargeError, match=f"has 461 Values, more than max_nodes={viz.MAX_NODES}"):
        viz.render(x, "never-written.svg")


def test_missing_dot_names_the_program_and_how_to_install_it(mazur_net, tmp_path, monkeypatch):
    _, n = mazur_net
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "g.svg"
    out.write_text("an earlier picture")
    with pytest.raises(viz.GraphvizNotFoundError) as err:
        viz.render(n["E_total"], out)
    message = str(err.value)
    for needed in ("`dot` program was not found", "apt-get install graphviz", "brew install graphviz",
                   "graphviz.org"):
        assert needed in message
    assert isinstance(err.value, RuntimeError)
    assert out.read_text() == "an earlier picture"  # nothing lost
    assert "E_total" in viz.draw_dot(n["E_total"]).source  # drawing needs no program


@pytest.mark.parametrize("fmt,magic", [("png", b"\x89PNG"), ("pdf", b"%PDF"), ("svg", b"<?xml")])
@pytest.mark.usefixtures("dot")
def test_formats_from_the_suffix_or_given(mazur_net, tmp_path, fmt, magic):
    _, n = mazur_net
    assert viz.render(n["E_total"], tmp_path / f"g.{fmt}").read_bytes().startswith(magic)
    assert viz.render(n["E_total"], tmp_path / "g", format=fmt).read_bytes().startswith(magic)


def test_bad_formats_are_named(mazur_net, tmp_path):
    _, n = mazur_net
    with pytest.raises(ValueError, match="format must be one of svg, png, pdf, got 'jpeg'"):
        viz.render(n["E_total"], tmp_path / "g", format="jpeg")
    with pytest.raises(ValueError, match=r"cannot tell the format from path .*g\.gif.*\.gif is not"):
        viz.render(n["E_total"], tmp_path / "g.gif")
    with pytest.raises(ValueError, match=r"ends in \.png but format is 'svg'"):
        viz.render(n["E_total"], tmp_path / "g.png", format="svg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("dot")
def test_labels_with_record_syntax_are_shown_verbatim(tmp_path):
    label = 'a|b{c}<d> "q" \\ e'
    y = Value(2.0, label=label) * 3
    nodes, _ = read_svg(viz.render(y, tmp_path / "g.svg"))
    assert (label, "data 2", "grad 0") in [t for t, _, _ in nodes.values()]


def test_edge_labels_go_on_the_edge_into_the_op_once():
    a, b = Value(3.0, label="a"), Value(4.0, label="b")
    sq = a * a
    y = sq + b  # topological order: a v0, sq v1, b v2, y v3
    other = Value(1.0) * 2  # a pair not in the graph is ignored
    lines = viz.draw_dot(y, edge_labels={(b, y): "into +", (a, sq): "2a", (other, y): "x"}).source.splitlines()
    assert [line.strip() for line in lines if "->" in line] == [
        'v0 -> v1_op [label="2a"]', "v0 -> v1_op", "v1_op -> v1",  # a * a: two edges, one label
        "v1 -> v3_op", 'v2 -> v3_op [label="into +"]', "v3_op -> v3"]


def test_options(mazur_net):
    p, n = mazur_net
    source = viz.draw_dot(n["E_total"], rankdir="TB", show_grad=False).source
    assert "rankdir=TB" in source and "grad " not in source and "data 0.2984" in source
    with pytest.raises(ValueError, match="rankdir must be one of LR, TB, RL, BT, got 'down'"):
        viz.draw_dot(n["E_total"], rankdir="down")
    with pytest.raises(ValueError, match="max_nodes must be a positive int, got 0"):
        viz.draw_dot(n["E_total"], max_nodes=0)
    with pytest.raises(TypeError, match="root must be a Value, got float 1.0"):
        viz.draw_dot(1.0)
    with pytest.raises(TypeError, match="params must be Values, got float 0.5"):
        viz.draw_dot(n["E_total"], params=[0.5])
    with pytest.raises(TypeError, match="highlight must be a Value or an iterable of Values, got float 0.5"):
        viz.draw_dot(n["E_total"], highlight=0.5)


def test_params_may_be_a_module():
    model = MLP(2, [1], activation="tanh", rng=0)
    (y,) = model([Value(1.0, label="x1"), Value(-1.0, label="x2")])
    source = viz.draw_dot(y, params=model).source
    assert source.count(viz.PARAMETER_COLOR) == 3  # two weights and a bias
    assert source.count(viz.INPUT_COLOR) == 2  # x1, x2
