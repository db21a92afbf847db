"""demos/truth_table.py: every cell of the notes' forward and backward tables against the matrix formulas
(for every context of every truth table, before and after training), the repeated embedding's two gradient
contributions, training to 100% on and/or/xor/nand, and the command line."""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from demos import truth_table as tt
from demos.truth_table_net import NOTES_WEIGHTS
from micrograd_lite import cross_entropy
from micrograd_lite.gradcheck import numerical_grad

CASES = [(op, c) for op in sorted(tt.OPS) for c in tt.CONTEXTS]
REL = dict(rel=1e-12, abs=1e-14)
DEMO = Path(tt.__file__)


def matvec(xs, m):
    """Row vector xs (n) times matrix m (n x p) -> p floats."""
    return [math.fsum(x * row[j] for x, row in zip(xs, m)) for j in range(len(m[0]))]


def transpose(m):
    return [list(col) for col in zip(*m)]


def outer(a, b):
    return [[x * y for y in b] for x in a]


def check_formulas(tb):
    """The notes' matrix formulas, on the table's own cells (plain floats: nothing from the engine)."""
    a, b = tb["context"]
    emb = tb["EMBEDDINGS"]
    # forward
    assert tb["IL"] == emb[a] + emb[b]
    assert tb["RNI"] == pytest.approx(matvec(tb["IL"], tb["HW"]), **REL)
    assert tb["HI"] == pytest.approx([r + h for r, h in zip(tb["RNI"], tb["HB"])], **REL)
    assert tb["HA"] == pytest.approx([math.tanh(h) for h in tb["HI"]], **REL)
    assert tb["RNO"] == pytest.approx(matvec(tb["HA"], tb["OW"]), **REL)
    assert tb["RAW"] == pytest.approx([r + o for r, o in zip(tb["RNO"], tb["OB"])], **REL)
    exps = [math.exp(z) for z in tb["RAW"]]
    assert tb["PRED"] == pytest.approx([e / sum(exps) for e in exps], **REL)
    assert tb["loss"] == pytest.approx(-math.log(tb["PRED"][tb["target"]]), **REL)
    # backward
    assert tb["REAL"] == [float(k == tb["target"]) for k in range(2)]
    assert tb["ErrS"] == pytest.approx([p - r for p, r in zip(tb["PRED"], tb["REAL"])], **REL)
    assert tb["dBO"] == pytest.approx(tb["ErrS"], **REL)
    assert tb["dWO"] == [pytest.approx(row, **REL) for row in outer(tb["ErrS"], tb["HA"])]
    assert tb["dHIS"] == pytest.approx(matvec(tb["ErrS"], transpose(tb["OW"])), **REL)
    assert tb["dT(HA)"] == pytest.approx([1 - h * h for h in tb["HA"]], **REL)
    assert tb["dHI"] == pytest.approx([g * d for g, d in zip(tb["dHIS"], tb["dT(HA)"])], **REL)
    assert tb["dWH"] == [pytest.approx(row, **REL) for row in outer(tb["IL"], tb["dHI"])]
    assert tb["dBH"] == pytest.approx(tb["dHI"], **REL)
    assert tb["dIL"] == pytest.approx(matvec(tb["dHI"], transpose(tb["HW"])), **REL)
    for t in range(2):  # each embedding entry collects the dIL of every position holding its token
        expected = [math.fsum(tb["dIL"][p * 2 + d] for p in range(2) if tb["context"][p] == t) for d in range(2)]
        assert tb["dC"][t] == pytest.approx(expected, **REL)


def check_read_from_the_network(tb, net):
    """The cells are the network's parameters' data and grad (the graph's, not copies computed aside)."""
    hidden, output = net.hidden.neurons, net.output.neurons
    assert tb["HW"] == [[n.w[i].data for n in hidden] for i in range(4)]
    assert tb["dWH"] == [[n.w[i].grad for n in hidden] for i in range(4)]
    assert tb["dWO"] == [[n.w[j].grad for j in range(3)] for n in output]
    assert tb["dC"] == [[v.grad for v in row] for row in net.C.weight]
    assert tb["root"].data == tb["loss"]


@pytest.mark.parametrize("op, context", CASES)
def test_every_cell_matches_the_matrix_formulas_before_training(op, context):
    net = tt.TruthTableNet(rng=7)
    tb = tt.example_tables(net, context, op)
    check_formulas(tb)
    check_read_from_the_network(tb, net)


@pytest.mark.parametrize("op", sorted(tt.OPS))
def test_every_cell_matches_the_matrix_formulas_after_training(op):
    net = tt.TruthTableNet(rng=1)
    tt.train(net, op)
    for context in tt.CONTEXTS:
        tb = tt.example_tables(net, context, op)
        check_formulas(tb)
        check_read_from_the_network(tb, net)


def test_targets_are_the_truth_tables():
    table = {op: [tt.target(op, c) for c in tt.CONTEXTS] for op in tt.OPS}
    assert table == {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0], "nand": [1, 1, 1, 0]}


def test_embedding_gradients_match_central_differences():
    # Independent of backward functions: wiggle each embedding entry and watch the loss.
    net = tt.TruthTableNet(rng=3)
    tb = tt.example_tables(net, (1, 1), "xor")
    entries = [v for row in net.C.weight for v in row]
    values = [v.data for v in entries]

    def loss_of(*vs):
        for e, v in zip(entries, vs):
            e.data = v.data
        return cross_entropy(net.forward((1, 1))["RAW"], 0)

    numeric = numerical_grad(loss_of, values)
    for e, v in zip(entries, values):
        e.data = v
    assert [g for row in tb["dC"] for g in row] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("context, repeated", [((0, 0), 0), ((1, 1), 1)])
def test_a_token_used_twice_gets_both_parts_of_dil(context, repeated):
    tb = tt.example_tables(tt.TruthTableNet(rng=0), context, "and")
    first, second = tb["dIL"][:2], tb["dIL"][2:]
    assert all(x != 0.0 for x in first + second)
    assert tb["dC"][repeated] == pytest.approx([x + y for x, y in zip(first, second)], **REL)
    assert tb["dC"][1 - repeated] == [0.0, 0.0]
    tb["op"] = "and"
    text = tt.format_backward(tb, lr=0.5)
    assert f"{tt.SYMBOLS[repeated]} ({tt.TOKENS[repeated]}) appeared TWICE in the context" in text
    assert "dimension 1: grad" in text and "= dIL[0] + dIL[2] = " in text


def test_two_different_tokens_each_get_their_own_part():
    tb = tt.example_tables(tt.TruthTableNet(rng=0), (0, 1), "and")
    assert tb["dC"] == [tb["dIL"][:2], tb["dIL"][2:]]


def test_tables_print_the_notes_abbreviations_and_the_cells():
    tb = tt.example_tables(tt.TruthTableNet(rng=0), (0, 0), "and")
    tb["op"] = "and"
    forward = tt.format_forward(tb)
    header = forward.splitlines()[0].split()
    assert header == ["EMBEDDINGS", "IL", "HW", "RNI", "HB", "HI", "HA", "OW", "RNO", "OB", "RAW", "PRED"]
    assert "~tanh~" in forward and "~softmax~" in forward and "N1" in forward
    for key in ("IL", "RNI", "HB", "HI", "HA", "RNO", "OB", "RAW", "PRED"):
        for x in tb[key]:
            assert f"{x:.4f}" in forward, key
    backward = tt.format_backward(tb, lr=0.5, decimals=6)
    for word in ("ErrS", "TRANS(OW)", "dHIS", "dT(HA)", "dHI", "TRANS(HW)", "dIL", "dBO", "dWO", "dWH", "dBH",
                 "~outer product~", "GRAD EMBEDDINGS"):
        assert word in backward, word
    for key in ("ErrS", "dHIS", "dT(HA)", "dHI", "dIL"):
        for x in tb[key]:
            assert f"{x:.6f}" in backward, key
    for row in tb["dWO"] + tb["dWH"]:
        assert tt._Fmt(6).vec(row) in backward


@pytest.mark.parametrize("op", sorted(tt.OPS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_reaches_every_context(op, seed):
    net = tt.TruthTableNet(rng=seed)
    steps, loss, correct = tt.train(net, op, steps=2000)
    assert correct == 4 and steps < 2000
    assert [net.predict(c) for c in tt.CONTEXTS] == [tt.target(op, c) for c in tt.CONTEXTS]


def test_demo_prints_tables_before_and_after_and_training(capsys):
    assert tt.main(["--op", "xor", "--explain", "1,1", "--no-graph"]) == 0
    out = capsys.readouterr().out
    assert out.index("=== BEFORE TRAINING ===") < out.index("Training") < out.index("=== AFTER TRAINING ===")
    assert "Example [ 1, 1 ]: True xor True = False" in out
    assert "All four contexts predicted correctly after" in out and "4/4 (100%)" in out


def test_demo_says_so_when_the_step_cap_is_reached(capsys):
    assert tt.main(["--op", "xor", "--steps", "0", "--no-graph"]) == 1
    assert "NOT all contexts predicted correctly within 0 steps: 2/4" in capsys.readouterr().out


def test_bad_context_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        tt.main(["--explain", "2,0"])
    assert e.value.code == 2
    assert "--explain: expected two tokens like 0,1 or false,true; got '2,0'" in capsys.readouterr().err
    assert tt.parse_context("False, t") == (0, 1)


def test_notes_weights_give_the_notes_example():
    from micrograd_lite.explain.claims import agreement
    net = tt.notes_net()
    tb = tt.example_tables(net, tt.NOTES_CONTEXT, "and")
    assert [row for row in tb["HW"]] == [[float(x) for x in row] for row in NOTES_WEIGHTS["HW"]]
    assert all(agreement(t, v) for t, v in zip(["0.51", "0.49"], tb["PRED"]))
    assert all(agreement(t, v) for t, v in zip(["-0.49", "0.49"], tb["ErrS"]))


def test_weights_notes_option_marks_the_cells_that_differ(capsys):
    tt.main(["--weights", "notes", "--explain", "0,0", "--no-graph", "--steps", "0"])
    out = capsys.readouterr().out
    assert "xx [  0.0100,  0.0300 ]" in out
    from demos import notes
    if (notes.SEEDS / notes.T1).is_file():
        assert "line 6: HI[1] notes -0.03, engine -0.0393: rounding" in out
        assert "line 51: dWO.shape notes 4 x 3, engine 2 x 3: wrong" in out


@pytest.mark.usefixtures("dot")
@pytest.mark.parametrize("given, written, magic", [("g.png", "g.png", b"\x89PNG"), ("g.pdf", "g.pdf", b"%PDF"),
                                                   ("out/g", "out/g.svg", b"<?xml"), ("G.SVG", "G.SVG", b"<?xml")])
def test_graph_format_comes_from_the_suffix(monkeypatch, capsys, tmp_path, given, written, magic):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    assert tt.main(["--explain", "0,1", "--graph", given]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"graph of the example's loss written to {written}")
    assert (tmp_path / written).read_bytes().startswith(magic)


@pytest.mark.usefixtures("dot")
def test_default_run_draws_truth_table_svg(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert tt.main([]) == 0
    assert ">loss</text>" in (tmp_path / "truth_table.svg").read_text()


def test_without_dot_the_demo_runs_and_says_so_in_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    monkeypatch.setenv("COLUMNS", "400")
    assert tt.main([]) == 0
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last.startswith("(graph not written: render: Graphviz's `dot` program was not found on PATH")
    assert "apt-get install graphviz" in last
    assert list(tmp_path.iterdir()) == []


def test_without_the_graphviz_package_the_demo_names_the_extra(monkeypatch, capsys, tmp_path):
    for name in ("viz", "viz.graph", "viz.render"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as if it were not installed
    monkeypatch.setenv("COLUMNS", "400")
    assert tt.main(["--graph", str(tmp_path / "g.svg")]) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == (
        "(graph not written: viz needs the graphviz package: pip install micrograd_lite[viz] "
        "(or pip install graphviz); or pass --no-graph)")
    assert list(tmp_path.iterdir()) == []


BAD_OPTIONS = [
    (["--op", "nor"], "argument --op: invalid choice: 'nor'"),
    (["--explain", "2,0"], "--explain: expected two tokens like 0,1 or false,true; got '2,0'"),
    (["--explain", "1"], "--explain: expected two tokens like 0,1 or false,true; got '1'"),
    (["--seed", "x"], "argument --seed: invalid int value: 'x'"),
    (["--steps", "-1"], "--steps must be >= 0, got -1"),
    (["--steps", "1.5"], "argument --steps: invalid int value: '1.5'"),
    (["--lr", "0"], "--lr must be a finite number > 0, got 0.0"),
    (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    (["--lr", "fast"], "argument --lr: invalid float value: 'fast'"),
    (["--decimals", "13"], "--decimals must be in 0..12, got 13"),
    (["--graph", "g.gif"], "argument --graph: 'g.gif': .gif is not one of .svg, .png, .pdf"),
    (["--graph", "no/such/folder/g.svg"], "argument --graph: 'no/such/folder/g.svg': folder 'no/such/folder' "
                                          "does not exist"),
    (["--graph", "out/"], "argument --graph: 'out/' names a folder; give a file name such as graph.svg"),
]


@pytest.mark.parametrize("argv, message", BAD_OPTIONS)
def test_every_bad_option_value_is_one_line_and_no_traceback(argv, message, option_error):
    assert option_error(tt, argv).startswith(f"truth_table.py: error: {message}")


def test_training_goes_on_to_a_confident_margin(capsys):
    net = tt.TruthTableNet(rng=0)
    seen = []
    steps, _, correct = tt.train(net, "and", log=lambda *row: seen.append(row))
    first_right = next(s for s, _, c, _ in seen if c == 4)
    assert first_right < steps and correct == 4
    assert seen[first_right][3] < tt.MARGIN <= seen[-1][3]  # right but unsure at first; confident at the end
    assert all(low < tt.MARGIN for *_, low in seen[:-1])  # and it stops at the first confident step
    for c in tt.CONTEXTS:
        assert tt.softmax(net.forward(c)["RAW"])[tt.target("and", c)].data >= tt.MARGIN
    assert tt.main(["--no-graph"]) == 0
    out = capsys.readouterr().out
    assert (f"All four contexts predicted correctly after {first_right} steps; trained on to step {steps}, where "
            f"every PRED of the right answer is at least 0.9") in " ".join(out.split())


def test_a_step_limit_before_the_margin_is_said(capsys):
    assert tt.main(["--op", "xor", "--steps", "60", "--no-graph"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "but the --steps limit (60) stopped training with the lowest PRED of a right answer at" in out


@pytest.mark.parametrize("argv", [["--op", "xor", "--explain", "1,1"], ["--explain", "0,0", "--decimals", "8"]])
def test_output_fits_120_columns_and_keeps_every_cell(monkeypatch, capsys, argv):
    monkeypatch.setenv("COLUMNS", "120")
    assert tt.main([*argv, "--no-graph"]) == 0
    narrow = capsys.readouterr().out
    assert max(len(line) for line in narrow.splitlines()) <= 120
    monkeypatch.setenv("COLUMNS", "1000")
    assert tt.main([*argv, "--no-graph"]) == 0
    wide = capsys.readouterr().out
    assert max(len(line) for line in wide.splitlines()) > 120  # the notes' layout, one row per table
    assert sorted(narrow.split()) == sorted(wide.split())  # the same words and numbers, laid out again


def test_embedding_lines_name_the_position_and_the_token():
    text, _ = tt.explain(tt.TruthTableNet(rng=0), (0, 1), "and", 0.5)
    assert 'Dimension 2 of context position 1: token 0 "False"' in text
    assert 'Dimension 1 of context position 2: token 1 "True"' in text
    assert "lR the learning rate" in text


def test_help_explains_its_terms():
    done = subprocess.run([sys.executable, str(DEMO), "--help"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "120"})
    assert done.returncode == 0
    assert "seed notes" not in done.stdout
    assert "learning rate, written lR in the tables" in done.stdout
