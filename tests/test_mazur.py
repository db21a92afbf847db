"""The notes' w1..w8 network (demos/mazur.py): forward values and all ten gradients against float64
hand formulas at 1e-12, and against the post's published digits at their rounding."""

import math
import re
import sys

import pytest

from demos import mazur
from micrograd_lite import MLP, Value, mse


def sig(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_forward_matches_float64_formulas(mazur_net):
    _, n = mazur_net
    w = mazur.INITIAL
    h1 = sig(w["w1"] * 0.05 + w["w2"] * 0.10 + w["b1"])
    h2 = sig(w["w3"] * 0.05 + w["w4"] * 0.10 + w["b1"])
    o1 = sig(w["w5"] * h1 + w["w6"] * h2 + w["b2"])
    o2 = sig(w["w7"] * h1 + w["w8"] * h2 + w["b2"])
    expected = {"out_h1": h1, "out_h2": h2, "out_o1": o1, "out_o2": o2,
                "E_total": 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2}
    for k, v in expected.items():
        assert n[k].data == pytest.approx(v, abs=1e-12), k


def test_forward_matches_published_digits(mazur_net):
    _, n = mazur_net
    for k, published in mazur.PUBLISHED_FORWARD.items():
        assert abs(n[k].data - float(published)) <= mazur.tolerance(published), k


def test_ten_gradients_match_hand_formulas(mazur_net):
    p, n = mazur_net
    hand = mazur.hand_gradients({k: v.data for k, v in n.items()})
    assert set(hand) == set(mazur.PARAMS)
    for k in mazur.PARAMS:
        assert p[k].grad == pytest.approx(hand[k], abs=1e-12), k


def test_gradients_match_independent_closed_forms(mazur_net):
    # dE/dw5 as the notes write it: (out_o1 - target) * out_o1 (1 - out_o1) * out_h1, and dE/dw1 through
    # both output paths, computed here without the demo's helper.
    p, n = mazur_net
    h1, o1, o2 = n["out_h1"].data, n["out_o1"].data, n["out_o2"].data
    d1, d2 = (o1 - 0.01) * o1 * (1 - o1), (o2 - 0.99) * o2 * (1 - o2)
    assert p["w5"].grad == pytest.approx(d1 * h1, abs=1e-12)
    assert p["w1"].grad == pytest.approx((d1 * 0.40 + d2 * 0.50) * h1 * (1 - h1) * 0.05, abs=1e-12)


def test_printed_gradients_and_updates_match_published_digits():
    p, n, _ = mazur.train(1)
    start = mazur.make_params()
    mazur.forward(start)["E_total"].backward()
    for k, published in mazur.PUBLISHED_GRAD.items():
        assert abs(start[k].grad - float(published)) <= mazur.tolerance(published), k
    for k, published in mazur.PUBLISHED_UPDATED.items():
        assert abs(p[k].data - float(published)) <= mazur.tolerance(published), k
    assert p["b1"].data == 0.35 and p["b2"].data == 0.60  # the post keeps the biases fixed


def test_error_after_one_step_is_the_chain_rules_not_the_published():
    _, n, _ = mazur.train(1)
    assert n["E_total"].data == pytest.approx(0.29102777369359933, abs=1e-15)
    assert abs(n["E_total"].data - float(mazur.PUBLISHED_E_AFTER_1)) > mazur.tolerance(mazur.PUBLISHED_E_AFTER_1)


def test_sequential_variant_reproduces_published_errors_and_outputs():
    _, n1, _ = mazur.train(1, sequential=True)
    assert abs(n1["E_total"].data - 0.291027924) <= mazur.tolerance(mazur.PUBLISHED_E_AFTER_1)
    _, n, history = mazur.train(10_000, sequential=True, milestones={10_000})
    for k, published in mazur.PUBLISHED_OUT_AFTER_10000.items():
        assert abs(n[k].data - float(published)) <= mazur.tolerance(published), k
    assert round(history[10_000], 9) == 0.000035085  # the post's code prints round(error, 9)


def test_ten_thousand_steps_by_the_chain_rule():
    _, _, history = mazur.train(10_000, milestones={9_999, 10_000})
    assert history[10_000] == pytest.approx(3.5101878e-05, rel=1e-7)
    assert history[9_999] == pytest.approx(3.5108548e-05, rel=1e-7)


def test_library_mlp_and_mse_rebuild_the_same_network():
    b1, b2 = Value(0.35), Value(0.60)
    m = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid",
            weights=[[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]],
            biases=[[b1, b1], [b2, b2]])
    e = mse(m([0.05, 0.10]), [0.01, 0.99])
    e.backward()
    p, n = mazur.make_params(), None
    n = mazur.forward(p)
    n["E_total"].backward()
    assert e.data == pytest.approx(n["E_total"].data, abs=1e-15)
    ws = [w for layer in m.layers for neuron in layer.neurons for w in neuron.w]
    assert [w.grad for w in ws] == pytest.approx([p[f"w{i}"].grad for i in range(1, 9)], abs=1e-15)
    assert (b1.grad, b2.grad) == pytest.approx((p["b1"].grad, p["b2"].grad), abs=1e-15)


def test_train_biases_updates_them():
    p, _, _ = mazur.train(1, train_biases=True)
    assert p["b1"].data == pytest.approx(0.35 - 0.5 * 0.018725609, abs=1e-9)
    assert p["b2"].data == pytest.approx(0.60 - 0.5 * 0.100400325, abs=1e-9)


def test_demo_runs_and_flags_the_differing_figures(capsys):
    assert mazur.main(["--steps", "10000", "--no-graph"]) == 0
    out = capsys.readouterr().out
    assert "0.29102777369359933 (published 0.291027924: -1.5e-07  DIFFERS)" in out
    assert "dE_total/dw5  0.082167041" in out
    assert "3.510187783e-05" in out


@pytest.mark.usefixtures("dot")
def test_demo_draws_the_network_with_w1s_paths_to_mazur_svg(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert mazur.main(["--steps", "1000"]) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1].startswith("Graph: wrote mazur.svg")
    svg = (tmp_path / "mazur.svg").read_text()
    for name in [*mazur.PARAMS, "i1", "i2", "net_h1", "out_h1", "net_o2", "out_o2", "E_o1", "E_total"]:
        assert f">{name}</text>" in svg, name
    assert "#d62728" in svg  # viz's highlight colour: w1's paths
    assert mazur.main(["--steps", "1000", "--graph", "net.png"]) == 0
    assert (tmp_path / "net.png").read_bytes().startswith(b"\x89PNG")


def test_demo_no_graph_draws_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert mazur.main(["--steps", "1000", "--no-graph"]) == 0
    assert "Graph" not in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_demo_runs_and_says_so_without_dot(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert mazur.main(["--steps", "1000"]) == 0
    out = capsys.readouterr().out
    last = " ".join(out[out.rindex("\n\n"):].split())  # the last paragraph, wrapped to 120 columns
    assert last.startswith("Graph not drawn: render: Graphviz's `dot` program was not found on PATH")
    assert "apt-get install graphviz" in last
    assert max(len(line) for line in out.splitlines()) <= 120
    assert list(tmp_path.iterdir()) == []


def test_graph_without_the_graphviz_package_is_reported_not_raised(mazur_net, tmp_path, monkeypatch):
    for name in ("viz", "viz.graph", "viz.render"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as if it were not installed
    p, n = mazur_net
    report = mazur.write_graph(n, p, tmp_path / "g.svg")
    assert report == ("Graph not drawn: viz needs the graphviz package: pip install micrograd_lite[viz] "
                      "(or pip install graphviz); or pass --no-graph")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("steps", ["1", "10", "150"])
def test_demo_runs_for_any_number_of_steps(steps, capsys):
    assert mazur.main(["--steps", steps, "--no-graph"]) == 0
    assert f"Training for {steps} steps" in capsys.readouterr().out


def test_chain_rule_breakdowns_read_as_the_notes():
    text = mazur.chain_rule_breakdowns()
    assert text.splitlines()[0] == ("∂E_total/∂w5 = ∂E_total/∂out_o1 × ∂out_o1/∂net_o1 × ∂net_o1/∂w5 "
                                    "= 0.741365 × 0.186816 × 0.593270 = 0.082167")
    assert "             + ∂E_total/∂out_o2 × ∂out_o2/∂net_o2 × ∂net_o2/∂out_h1" in text
    assert text.splitlines()[-1] == "             = " + mazur.PUBLISHED_GRAD["w1"]


def test_trace_prints_the_backward_pass_and_stops(capsys):
    assert mazur.main(["--trace"]) == 0
    out = capsys.readouterr().out
    assert "1. E_total = +(E_o1, E_o2):  ∂E_total/∂E_total = 1.000000" in out
    assert "∂E_total/∂w5 += ∂E_total/∂net_o1 × ∂net_o1/∂w5 = 0.138499 × 0.593270 = 0.082167  → 0.082167" in out
    assert "Training" not in out


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "--steps must be at least 1, got 0"),
    (["--steps", "ten"], "argument --steps: invalid int value: 'ten'"),
    (["--graph", "net.jpg"], "argument --graph: 'net.jpg': .jpg is not one of .svg, .png, .pdf"),
    (["--graph", "no/net.svg"], "argument --graph: 'no/net.svg': folder 'no' does not exist"),
    (["--sequential=yes"], "argument --sequential: ignored explicit argument 'yes'"),
])
def test_every_bad_option_value_is_one_line_and_no_traceback(argv, message, option_error):
    assert option_error(mazur, argv).startswith(f"mazur.py: error: {message}")


@pytest.mark.usefixtures("dot")
def test_graph_without_a_suffix_is_an_svg(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert mazur.main(["--steps", "1", "--graph", "net"]) == 0
    assert (tmp_path / "net.svg").read_text().startswith("<?xml")


# ---- --code and --hessian -------------------------------------------------------------------------------------
def test_hessian_equals_central_differences_of_the_gradient():
    from micrograd_lite.gradcheck import numerical_hessian

    H = mazur.hessian()
    N = numerical_hessian(lambda *vs: mazur.forward(dict(zip(mazur.PARAMS, vs)))["E_total"],
                          [mazur.INITIAL[k] for k in mazur.PARAMS])
    assert len(H) == len(N) == 10 and all(len(row) == 10 for row in H)
    for i in range(10):
        for j in range(10):
            assert abs(H[i][j] - N[i][j]) <= 1e-6, (mazur.PARAMS[i], mazur.PARAMS[j], H[i][j], N[i][j])
            assert H[i][j] == H[j][i] or abs(H[i][j] - H[j][i]) <= 1e-15  # symmetric, up to rounding
    w = mazur.PARAMS.index
    assert H[w("w5")][w("w7")] == H[w("w6")][w("w8")] == 0.0  # different outputs: exactly uncoupled


def test_demo_code_and_hessian_options(capsys):
    assert mazur.main(["--code", "--hessian"]) == 0
    out = capsys.readouterr().out
    assert "# backward of: out_o1 = sigmoid(net_o1)\ngrad_net_o1 = out_o1 * (1.0 - out_o1) * grad_out_o1  # 0.138499" in out
    assert re.search(r"\ngrad_w5 = out_h1 \* grad_net_o1 +# 0\.082167\n", out)  # the notes' 0.082167041
    assert "grad_i1" not in out  # the inputs are constants here, as in the notes
    assert "\nw1  -3.022e-06  -6.043e-06  1.152e-06" in out
    assert "Graph" not in out and "Training" not in out  # only the asked-for sections
