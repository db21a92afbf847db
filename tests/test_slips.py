"""micrograd_lite.explain.check (explain/checker.py) and its slip catalogue (explain.slips): verdicts to the printed digits, every kind of slip detected on the
notes' two networks (Mazur's 2-2-2 and the truth-table net with the notes' printed weights), correct,
rounded and truncated claims never flagged, and the errors for bad names and numbers."""

import math
import re
from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import given, strategies as st

from demos import mazur, truth_table
from micrograd_lite import Value, cross_entropy, no_grad, topological_order
from micrograd_lite.explain import CheckReport, check, claim_value
from micrograd_lite.explain.claims import agreement, significant_digits
from micrograd_lite.explain.slips import KINDS
from test_properties import cases

sig = lambda x: 1 / (1 + math.exp(-x))


@pytest.fixture
def net():
    p = mazur.make_params()
    return p, mazur.forward(p)


@pytest.fixture
def tt():
    """The truth-table net with the notes' printed weights, context 0,0 (target False): (loss, nodes)."""
    m = truth_table.notes_net()
    nodes = m.forward(truth_table.NOTES_CONTEXT)
    loss = cross_entropy(nodes["RAW"], 0)
    loss.label = "loss"
    return loss, nodes


def kinds(report, name):
    return [c.kind for c in report[name].causes]


def hand(n):
    """The delta-rule quantities of Mazur's net, by hand (independent of the engine's backward)."""
    o1, o2, h1, h2 = (n[k].data for k in ("out_o1", "out_o2", "out_h1", "out_h2"))
    d_o1, d_o2 = (o1 - 0.01) * o1 * (1 - o1), (o2 - 0.99) * o2 * (1 - o2)
    return dict(o1=o1, o2=o2, h1=h1, h2=h2, d_o1=d_o1, d_o2=d_o2, s_h1=h1 * (1 - h1), s_h2=h2 * (1 - h2))


# ---- verdicts -------------------------------------------------------------------------------------------------
def test_agreement_uses_the_printed_digits():
    assert agreement("0.59", 0.593269992) == "correct"
    assert agreement("0.0821", 0.082167) == "truncated"
    assert agreement("0.0822", 0.082167) == "correct"
    assert agreement("0.0820", 0.082167) is None
    assert agreement("0.44", 0.445) == "correct"  # 0.445 is 0.44499999... in binary: the boundary holds
    assert agreement("-0.00", -0.0019) == "correct" and agreement("-0.00", 0.0019) is None
    assert agreement(0.3775, 0.3775 + 1e-12) == "correct" and agreement(0.3775, 0.3776) is None
    assert agreement("1/2", 0.5) == "correct" and agreement("1/2", 1.0) is None
    assert agreement("\u22120.5", -0.5) == "correct"


def test_correct_and_truncated_mazur_claims(net):
    p, n = net
    r = check(n["E_total"], {"out_h1": "0.593269992", "net_o1": "1.1059", "∂E_total/∂w5": "0.0821",
                             "dE_total/dw1": "0.000438568", "w5+": "0.35891648", "∂out_o1/∂net_o1": "0.186816"},
              lr=0.5)
    assert [i.verdict for i in r] == ["correct", "correct", "truncated", "correct", "correct", "correct"]
    assert all(i.causes == [] for i in r)
    assert r["w5+"].value == pytest.approx(0.35891648, abs=5e-9)  # Mazur's printed w5+
    assert "truncated" in str(r) and isinstance(r, CheckReport)


@given(data=st.data())
def test_a_correct_rounded_or_truncated_claim_is_never_flagged(data):
    p = mazur.make_params()
    n = mazur.forward(p)
    label = data.draw(st.sampled_from(sorted(k for k in n if k not in ("i1", "i2"))), label="label")
    wrt = data.draw(st.sampled_from(mazur.PARAMS), label="wrt")
    decimals = data.draw(st.integers(1, 9), label="decimals")
    names = [label, f"∂E_total/∂{wrt}", f"{wrt}+"]
    values = {name: claim_value(n["E_total"], name, lr=0.5) for name in names}
    for name, v in values.items():
        rounded = f"{v:.{decimals}f}"
        cut = str(Decimal(repr(v)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN))
        r = check(n["E_total"], {name: rounded}, lr=0.5)
        assert r.items[0].verdict == "correct", (name, rounded, v)
        r = check(n["E_total"], {name: cut}, lr=0.5)
        assert r.items[0].verdict in ("correct", "truncated"), (name, cut, v)


# ---- each kind of slip, on Mazur's network --------------------------------------------------------------------
def test_sign(net):
    _, n = net
    r = check(n["E_total"], {"∂E_total/∂out_o1": "-0.741365", "w5+": "0.441"}, lr=0.5)
    assert kinds(r, "∂E_total/∂out_o1")[0] == "sign" and kinds(r, "w5+")[0] == "sign"
    assert any("0.01 − out_o1" in c.sentence for c in r["∂E_total/∂out_o1"].causes)


def test_decimal_shift_is_the_notes_h1_and_h2(net):
    _, n = net
    r = check(n["E_total"], {"net_h1": "0.445", "net_h2": "0.5"})
    for name in ("net_h1", "net_h2"):
        assert r[name].verdict == "wrong" and kinds(r, name)[0] == "decimal-shift"
        assert any(c.sentence.startswith("i1 = 0.5 for 0.05") for c in r[name].causes)


def test_learning_rate_omitted_or_twice(net):
    _, n = net
    g = claim_value(n["E_total"], "∂E_total/∂w5")
    r = check(n["E_total"], {"w5+": f"{0.4 - g:.6f}"}, lr=0.5)
    assert r["w5+"].causes[0].kind == "learning-rate" and "omitted" in r["w5+"].causes[0].sentence
    r = check(n["E_total"], {"w5+": f"{0.4 - 0.25 * g:.6f}"}, lr=0.5)
    assert r["w5+"].causes[0].kind == "learning-rate" and "twice" in r["w5+"].causes[0].sentence


def test_no_activation_in_the_forward_pass_and_in_the_chain(net):
    _, n = net
    h = hand(n)
    net_o1 = 0.4 * 0.3775 + 0.45 * h["h2"] + 0.6  # out_h1 replaced by net_h1 = 0.3775
    r = check(n["E_total"], {"out_o1": f"{sig(net_o1):.8f}",
                             "∂E_o1/∂w1": f"{0.05 * 0.4 * (h['o1'] * (1 - h['o1'])) * (h['o1'] - 0.01):.8f}"})
    assert kinds(r, "out_o1")[0] == "no-activation" and "net_h1 used as out_h1" in r["out_o1"].causes[0].sentence
    assert kinds(r, "∂E_o1/∂w1")[0] == "no-activation"
    assert "∂out_h1/∂net_h1 left out" in r["∂E_o1/∂w1"].causes[0].sentence


def test_missing_path_and_paths_multiplied(net):
    _, n = net
    h = hand(n)
    through_o1 = h["d_o1"] * 0.40 * h["s_h1"] * 0.05
    through_o2 = h["d_o2"] * 0.50 * h["s_h1"] * 0.05
    r = check(n["E_total"], {"∂E_total/∂w1": f"{through_o1:.9f}", "dE_total/dw1": f"{through_o1 * through_o2:.3e}"})
    assert r["∂E_total/∂w1"].causes[0].kind == "missing-path"
    assert "E_o1" in r["∂E_total/∂w1"].causes[0].sentence
    assert "paths-multiplied" in kinds(r, "dE_total/dw1")


def test_updated_weights(net):
    p, n = net
    _, after, _ = mazur.train(1)  # the demo's own SGD step (biases fixed, as in the post)
    r = check(n["E_total"], {"out_o1": f"{after['out_o1'].data:.9f}", "E_total": f"{after['E_total'].data:.9f}"},
              lr=0.5, params=[p[k] for k in mazur.WEIGHTS])
    for name in ("out_o1", "E_total"):
        assert r[name].verdict == "wrong"
        assert any(c.kind == "updated-weights" and "after the SGD step" in c.sentence for c in r[name].causes)


def test_renumbered_source_vs_destination_and_swapped_weights(net):
    _, n = net
    h = hand(n)
    dw3 = h["s_h2"] * (h["d_o1"] * 0.45 + h["d_o2"] * 0.55) * 0.05  # Mazur's w3: i1 -> h2
    r = check(n["E_total"], {"∂E_total/∂w2": f"{dw3:.9f}", "net_o1": f"{0.4 * h['h1'] + 0.5 * h['h2'] + 0.6:.8f}",
                             "∂net_o2/∂out_h2": "0.45"})
    assert kinds(r, "∂E_total/∂w2")[0] == "renumbered" and "∂E_total/∂w3" in r["∂E_total/∂w2"].causes[0].sentence
    assert r["net_o1"].causes[0].sentence == "w6 and w7 swapped"
    assert r["∂net_o2/∂out_h2"].causes[0].sentence == "w6 and w8 swapped"


def test_other_node(net):
    _, n = net
    r = check(n["E_total"], {"net_o1": "0.75"})
    assert [(c.kind, c.value) for c in r["net_o1"].causes] == [("other-node", n["out_o1"].data)]


def test_no_known_slip_and_never_a_cause_that_misses_the_digits(net):
    _, n = net
    r = check(n["E_total"], {"out_h1": "0.123456", "net_o1": "0.75"})
    assert r["out_h1"].verdict == "wrong" and r["out_h1"].causes == []
    assert r["out_h1"].likely_cause() == "no known slip reproduces it"
    for item in r:
        for c in item.causes:
            assert agreement(item.written, c.value) is not None


# ---- the truth-table network with the notes' weights ------------------------------------------------------------
def test_truth_table_cells_at_two_decimals_are_correct_and_slips_are_found(tt):
    loss, nodes = tt
    cells = {f"{k}[{i}]": f"{v.data:.2f}" for k in ("IL", "RNI", "HI", "HA", "RNO", "RAW") for i, v in enumerate(nodes[k])}
    grads = {f"∂loss/∂{k}[{i}]": f"{claim_value(loss, f'∂loss/∂{k}[{i}]'):.4f}"
             for k in ("RAW", "HA", "HI", "IL") for i in range(len(nodes[k]))}
    r = check(loss, {**cells, **grads, "∂loss/∂OW[0][0]": "0.0108", "dloss/dHB[2]": "-0.0147"})
    assert {i.verdict for i in r} == {"correct"}
    err0 = claim_value(loss, "∂loss/∂RAW[0]")
    r = check(loss, {"∂loss/∂RAW[0]": f"{-err0:.2f}", "IL[1]": "0.3",
                     "∂loss/∂HI[0]": f"{claim_value(loss, '∂loss/∂HA[0]'):.6f}"})
    assert kinds(r, "∂loss/∂RAW[0]")[0] == "sign"
    assert kinds(r, "IL[1]")[0] == "decimal-shift"
    # a few printed digits and hundreds of candidate slips: a coincidence may rank first, the slip is listed
    assert "the factor ∂HA[0]/∂HI[0] left out of the chain (taken as 1)" in [c.sentence for c in r["∂loss/∂HI[0]"].causes]
    assert all(kind in KINDS for i in r for kind in kinds(r, i.name))


# ---- unreadable claims and errors ---------------------------------------------------------------------------
def test_an_unreadable_claim_gets_its_reason_and_the_others_are_judged(net):
    _, n = net
    root = n["E_total"]
    n["w6"].label = "w5"
    bad = {"out_h3": "unknown name 'out_h3'.*known labels: E_o1, E_o2, E_total, b1",
           "∂E_total/∂w9": "∂E_total/∂w9", "w5": "ambiguous label 'w5' \\(2 nodes\\)",
           "w7+": "'w7\\+' .* needs lr", 3: "names must be str"}
    claims = {"out_h1": "0.59", **{k: "0.5" for k in bad}, "net_h2": [0.5], "net_o1": "0.5x", "out_o1": "1e400",
              "out_o2": "1e-400", "E_o1": float("nan"), "E_o2": "-inf", "i1": "nan", "i2": 10 ** 400,
              "∂E_total/∂w1": "0.000438568"}
    r = check(root, claims)
    n["w6"].label = "w6"
    assert [i.name for i in r] == list(claims)
    assert r["out_h1"].verdict == "correct" and r["∂E_total/∂w1"].verdict == "correct"
    for name, pattern in bad.items():
        assert r[name].verdict == "unreadable" and r[name].value is None
        assert re.search(pattern, r[name].reason), (name, r[name].reason)
    reasons = {"net_h2": "must be a str .* got list", "net_o1": "cannot read the written number '0.5x'",
               "out_o1": "outside the float range", "out_o2": "outside the float range", "E_o1": "not finite",
               "E_o2": "not finite", "i1": "not finite", "i2": "outside the float range"}
    for name, pattern in reasons.items():
        item = r[name]
        assert item.verdict == "unreadable" and item.causes == [] and re.search(pattern, item.reason), name
        assert repr(name) in item.reason and isinstance(item.value, float)
        assert item.likely_cause() == item.reason
    assert "unreadable" in str(r) and "unreadable" in repr(r)


def test_claim_value_raises_for_what_check_calls_unreadable(net):
    _, n = net
    with pytest.raises(KeyError, match="unknown name 'out_h3'"):
        claim_value(n["E_total"], "out_h3")
    with pytest.raises(ValueError, match="needs lr"):
        claim_value(n["E_total"], "w5+")
    with pytest.raises(TypeError, match="check: root must be a Value"):
        check(0.5, {})
    with pytest.raises(TypeError, match="claims must be a dict"):
        check(n["E_total"], [("w1", "0.15")])


@pytest.mark.parametrize("written, verdict", [("0,5", "correct"), ("0,59", "wrong"), ("\u22120,5", "wrong"),
                                              ("0,6", "wrong"), ("1,5e-1", "wrong"), ("0,5,1", "unreadable"),
                                              ("0.5", "correct")])
def test_decimal_commas_and_unicode_minus_read_as_the_notes_write_them(written, verdict):
    x = Value(0.5, label="x")
    y = x * 1.0
    y.label = "y"
    assert check(y, {"x": written}).items[0].verdict == verdict
    assert check(y, {"x": "0,5"}).items[0].verdict == "correct"
    assert agreement("\u22120,5", -0.5) == "correct"


def test_a_float_claim_is_read_by_its_shortest_repr():
    x = Value(0.490006, label="x")
    assert agreement(0.49001, 0.490006) == "correct"  # 5 significant digits
    assert agreement(0.49001, 0.490026) is None and agreement(0.49001, 0.490016) == "truncated"
    assert agreement(0.1 + 0.2, 0.3) == "correct"  # a float of 17 digits: to 1e-9
    assert agreement(0.49, 0.4959) == "truncated" and agreement(0.49, 0.4949) == "correct"
    assert check(x, {"x": 0.49001}).items[0].verdict == "correct"
    assert significant_digits(0.49001) == 5 and significant_digits("0.0821") == 3
    assert significant_digits("-1.5e-3") == 2 and significant_digits("1/2") == 17 and significant_digits("0,50") == 2


@pytest.mark.parametrize("written", ["1e400", "-1e400", "1e-400", "inf", "nan", "Infinity", float("inf"), float("nan"),
                                     10 ** 400])
def test_a_non_finite_or_out_of_range_number_is_unreadable_never_correct(written):
    for data in (0.5, math.inf, 0.0, 1e308):
        x = Value(data, label="x")
        assert check(x, {"x": written}).items[0].verdict == "unreadable"
    with pytest.raises(ValueError):
        agreement(written, 0.5)


def test_thirty_digits_are_read_and_judged():
    x = Value(0.15, label="x")
    r = check(x, {"x": "0.150000000000000000000000000000", "x ": "0.149999999999999999999999999999"})
    assert [i.verdict for i in r] == ["correct", "correct"]
    r = check(x * 1.0, {"x": "0.149999999999999999999999999"})
    assert r.items[0].verdict == "correct"
    assert agreement("0.1499999999999999999999999999999", 0.15) == "correct"
    assert agreement("0.15000000000000000000000000000001", 0.16) is None


def test_inside_no_grad_the_verdicts_and_causes_are_the_same(net):
    _, n = net
    claims = {"∂E_total/∂w5": "0.0822", "dE_total/dw1": "0.000438568", "net_h1": "0.445", "out_h1": "0.6",
              "w5+": "0.35891648", "∂E_total/∂out_o1": "-0.741365"}
    outside = check(n["E_total"], claims, lr=0.5)
    with no_grad():
        inside = check(n["E_total"], claims, lr=0.5)
        assert claim_value(n["E_total"], "∂E_total/∂w5") == outside["∂E_total/∂w5"].value
    assert [(i.verdict, i.value, [(c.kind, c.sentence) for c in i.causes]) for i in inside] == \
        [(i.verdict, i.value, [(c.kind, c.sentence) for c in i.causes]) for i in outside]
    assert [i.verdict for i in inside] == ["correct", "correct", "wrong", "correct", "correct", "wrong"]


def test_check_leaves_the_graphs_grads_alone(net):
    p, n = net
    n["E_total"].backward()
    before = {k: v.grad for k, v in n.items()}
    check(n["E_total"], {"∂E_total/∂w1": "0.1", "w5+": "0.2", "net_o1": "0.75"}, lr=0.5)
    assert {k: v.grad for k, v in n.items()} == before


# ---- the new kinds, on a learner's own network: x -> tanh -> sigmoid -> squared error -------------------------
def learner():
    """z = w1 x + b1, h = tanh z, a = w2 h + b2, y = sigmoid a, L = ½ (1 − y)² (x = 0.5, w1 = −0.3,
    b1 = 0.1, w2 = 0.7, b2 = 0): the values, by hand, and the graph."""
    x, w1, b1, w2, b2 = 0.5, -0.3, 0.1, 0.7, 0.0
    z = w1 * x + b1
    h = math.tanh(z)
    a = w2 * h + b2
    y = sig(a)
    hand = dict(x=x, w1=w1, b1=b1, w2=w2, b2=b2, z=z, h=h, a=a, y=y, dy=-(1 - y), sy=y * (1 - y), th=1 - h * h)
    v = {k: Value(hand[k], label=k) for k in ("x", "w1", "b1", "w2", "b2")}
    nodes = {}
    nodes["z"] = v["w1"] * v["x"] + v["b1"]
    nodes["h"] = nodes["z"].tanh()
    nodes["a"] = v["w2"] * nodes["h"] + v["b2"]
    nodes["y"] = nodes["a"].sigmoid()
    nodes["L"] = 0.5 * (1.0 - nodes["y"]) ** 2
    for k, n in nodes.items():
        n.label = k
    return nodes["L"], hand


def sentences(report, name):
    return [c.sentence for c in report[name].causes]


def test_early_rounding_of_one_intermediate():
    L, h = learner()
    # the learner rounded y to 0.49 before using it: ∂L/∂a = (0.49 − 1) · 0.49 · (1 − 0.49)
    written = f"{(0.49 - 1) * 0.49 * (1 - 0.49):.6f}"
    assert written == "-0.127449"
    r = check(L, {"∂L/∂a": written, "∂L/∂w2": f"{(0.49 - 1) * 0.49 * 0.51 * h['h']:.5g}",
                  "a": f"{0.7 * round(h['h'], 3):.6f}"})
    assert r["∂L/∂a"].verdict == "wrong"
    assert "y rounded to 0.49 (2 decimals) before it was used" in sentences(r, "∂L/∂a")
    cause = next(c for c in r["∂L/∂a"].causes if c.kind == "early-rounding" and c.sentence.startswith("y "))
    assert cause.digits == 6 and not cause.coincidence and cause.value == pytest.approx(-0.127449, abs=1e-12)
    assert any(s.startswith("y rounded to 0.49") for s in sentences(r, "∂L/∂w2"))
    assert "h rounded to -0.05 (2 decimals) before it was used" in sentences(r, "a")
    assert "z used as h (the tanh left out), also downstream" in sentences(r, "a")  # the same number


def test_early_rounding_of_every_intermediate():
    L, h = learner()
    # every intermediate rounded to 2 decimals, by hand: z = -0.05, h = -0.05, w2 h = -0.04 (a = -0.04),
    # y = 0.49, 1 − y = 0.51; ∂L/∂w1 = −0.51 · 0.49 · 0.51 · w2 · (1 − h²) · x
    written = f"{-0.51 * 0.49 * 0.51 * 0.7 * (1 - 0.05 ** 2) * 0.5:.6f}"
    r = check(L, {"∂L/∂w1": written})
    assert r["∂L/∂w1"].verdict == "wrong"
    assert "every intermediate value rounded to 2 decimals before it was used" in sentences(r, "∂L/∂w1")


def test_decimal_shift_of_the_result():
    L, h = learner()
    dw2 = h["dy"] * h["sy"] * h["h"]
    db2 = h["dy"] * h["sy"]
    r = check(L, {"∂L/∂w2": f"{dw2 * 10:.4g}", "∂L/∂b2": f"{db2 * 10:.4g}", "y": f"{h['y'] / 100:.5f}"})
    assert "the decimal point of the result moved 1 place right" in sentences(r, "∂L/∂w2")[0]
    assert any(s.startswith("the decimal point of the result moved 1 place right") for s in sentences(r, "∂L/∂b2"))
    assert any(s.startswith("the decimal point of the result moved 2 places left") for s in sentences(r, "y"))
    assert all(c.kind == "decimal-shift" for c in r["∂L/∂w2"].causes[:1])


def test_factor_of_two_in_the_squared_error():
    L, h = learner()
    r = check(L, {"∂L/∂y": f"{2 * h['dy']:.6f}", "∂L/∂a": f"{h['dy'] / 2 * h['sy']:.6f}",
                  "L": f"{(1 - h['y']) ** 2:.6f}"})
    assert any(c.kind == "factor-of-two" and "the ½ of ½·" in c.sentence and "2(t − o)" in c.sentence
               for c in r["∂L/∂y"].causes)
    assert any(c.kind == "factor-of-two" and "dropped ((t − o)/2" in c.sentence.replace("(½(t − o)² differentiated as ", "(")
               for c in r["∂L/∂a"].causes)
    assert any(c.kind == "factor-of-two" and "left out" in c.sentence for c in r["L"].causes)


def test_every_cause_is_shown_h_reproduced_by_x_and_by_w1():
    L, h = learner()
    written = f"{math.tanh(-0.3 * 0.05 + 0.1):.5f}"  # x = 0.05 for 0.5; the same as w1 = -0.03 for -0.3
    assert written == "0.08480"
    r = check(L, {"h": written})
    got = sentences(r, "h")
    assert "x = 0.05 for 0.5 (decimal point moved)" in got and "w1 = -0.03 for -0.3 (decimal point moved)" in got
    table = str(r)
    assert "x = 0.05 for 0.5" in table and "w1 = -0.03 for -0.3" in table
    lines = [line for line in table.splitlines() if "decimal point moved" in line]
    assert len(lines) >= 2 and not any("x = 0.05" in line and "w1 = -0.03" in line for line in lines)


def test_a_one_digit_match_is_possibly_a_coincidence():
    L, h = learner()
    r = check(L, {"y": "0.6", "h": "0.08480"})
    assert r["y"].verdict == "wrong" and r["y"].causes
    assert all(c.coincidence and c.digits == 1 for c in r["y"].causes)
    assert "b1 = 1 for 0.1 (decimal point moved)" in sentences(r, "y")
    assert all(not c.coincidence and c.digits == 4 for c in r["h"].causes)
    lines = str(r).splitlines()
    assert any("b1 = 1 for 0.1" in line for line in lines)
    assert sum("possibly a coincidence" in line for line in lines) >= 1
    assert not any("possibly a coincidence" in line for line in lines if "w1 = -0.03" in line)


def test_the_classic_slips_on_the_learners_network():
    L, h = learner()
    dw1 = h["dy"] * h["sy"] * h["w2"] * h["th"] * h["x"]
    r = check(L, {"∂L/∂y": f"{-h['dy']:.6f}", "∂L/∂w1": f"{dw1 / h['th']:.6f}",
                  "∂L/∂x": f"{h['dy'] * h['sy'] * h['w2'] * h['th'] * h['b1']:.6f}"})
    assert r["∂L/∂y"].causes[0].kind == "sign"
    assert "the factor ∂h/∂z left out of the chain (taken as 1)" in sentences(r, "∂L/∂w1")
    assert any(c.kind in ("renumbered", "other-node") for c in r["∂L/∂x"].causes) or r["∂L/∂x"].causes == []
    for item in r:
        assert item.verdict == "wrong"
        assert all(agreement(item.written, c.value) is not None for c in item.causes)


def test_a_correct_claim_on_the_learners_network_is_never_wrong():
    L, h = learner()
    r = check(L, {"z": f"{h['z']:.4f}", "h": f"{h['h']:.6f}", "y": f"{h['y']:.5f}", "∂L/∂y": f"{h['dy']:.6f}",
                  "∂L/∂a": f"{h['dy'] * h['sy']:.6f}", "∂L/∂h": f"{h['dy'] * h['sy'] * h['w2']:.6f}",
                  "∂L/∂w1": f"{h['dy'] * h['sy'] * h['w2'] * h['th'] * h['x']:.6f}", "L": f"{0.5 * (1 - h['y']) ** 2:.6f}"})
    assert {i.verdict for i in r} == {"correct"}


@pytest.mark.parametrize("columns", [60, 80, 100])
def test_the_table_fits_the_terminal_and_shows_every_cause_on_its_own_line(columns, monkeypatch, net):
    monkeypatch.setenv("COLUMNS", str(columns))
    L, h = learner()
    r = check(L, {"h": "0.08480", "y": "0.6", "∂L/∂a": "-0.127449", "out_h3": "1", "z": "-0.05",
                  "∂L/∂w1": "-0.044496", "x": "1e400"})
    text = str(r)
    assert text == r.format(columns) and max(len(line) for line in text.splitlines()) <= columns
    flat = " ".join(text.split())
    for item in r:
        for c in item.causes:
            assert " ".join(c.sentence.split()) in flat
    assert "possibly a coincidence" in flat and "unknown name 'out_h3'" in flat and "outside the float range" in flat
    starts = [line for line in text.splitlines() if line.lstrip().startswith(("1. ", "2. "))
              or "  1. " in line or "  2. " in line]
    assert len(starts) >= 2  # numbered causes start their own lines
    n = mazur.forward(mazur.make_params())
    wide = check(n["E_total"], {"∂E_total/∂w5": "0.0821", "dE_total/dw1": "0.0004385", "net_o1": "0.75",
                                "∂E_total/∂out_o1": "-0.741365"})
    assert max(len(line) for line in str(wide).splitlines()) <= columns


def test_the_table_is_at_least_60_columns_wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "20")
    L, _ = learner()
    r = check(L, {"∂L/∂a": "-0.127449"})
    assert str(r) == r.format(60) == r.format(5)
    assert max(len(line) for line in str(r).splitlines()) <= 60


# ---- the cost: large families screened by first order, then re-evaluated by the engine ------------------------
def test_on_the_moons_mlp_the_screened_families_still_find_the_slip(capsys):
    from benchmarks import check_cost
    from micrograd_lite.engine import topological_order
    from micrograd_lite.explain import slips
    from micrograd_lite.explain.replay import replay
    loss, claims = check_cost.workload(1)
    params = {p.label: p for p in topological_order(loss) if p.label and not p.parents}
    assert len(params) == 337
    order = topological_order(loss)
    assert 2 * len(params) > slips._ALWAYS and 2 * len(params) * len(order) > slips._WORK  # screened
    a, b = params["layers.1.neurons.4.w.2"], params["layers.1.neurons.4.w.3"]
    p = params["layers.0.neurons.5.w.0"]
    shifted = replay(loss, {p: p.data * 10})[loss].data
    swapped = replay(loss, {a: b.data, b: a.data})[loss].data
    r = check(loss, {"loss": f"{shifted:.9f}", "loss ": f"{swapped:.12f}"}, lr=0.5)
    assert f"{p.label} = {p.data * 10:.10g} for {p.data:.10g} (decimal point moved)" in sentences(r, "loss")
    assert f"{a.label} and {b.label} swapped" in sentences(r, "loss ")
    # the benchmark's ten claims: five correct, five wrong with the slip each was made with
    r = check(loss, claims, lr=check_cost.LR)
    assert [i.verdict for i in r] == ["correct"] * 5 + ["wrong"] * 5
    assert r.items[5].causes[0].kind == "sign" and r.items[6].causes[0].kind == "decimal-shift"
    assert "learning-rate" in kinds(r, r.items[7].name)
    assert check_cost.main(["--reps", "1", "--points", "1"]) == 0
    out = capsys.readouterr().out
    assert "10 claims (5 wrong)" in out and "load average" in out


def test_the_readme_example_is_what_check_prints_at_100_columns():
    from pathlib import Path
    text = (Path(__file__).resolve().parents[1] / "docs" / "checking.md").read_text(encoding="utf-8")
    start = text.index('print(check(n["E_total"], {"net_h1": "0.44"')
    block = text[text.index("```\n", text.index("```\n", start) + 4) + 4:]
    block = block[:block.index("```")].rstrip("\n")
    n = mazur.forward(mazur.make_params())
    r = check(n["E_total"], {"net_h1": "0.44", "∂E_total/∂w5": "0.0821", "w5+": "0.35", "net_o1": "0.75",
                             "out_h1": "0,59", "w9": "0.1"}, lr=0.5)
    assert r.format(100) == block


def test_many_slips_reproducing_one_number_are_each_possibly_a_coincidence(net):
    from micrograd_lite.explain import slips
    _, n = net
    r = check(n["E_total"], {"net_h2": "0,5"})  # the notes' 004 line 27: one printed digit
    causes = r["net_h2"].causes
    assert len(causes) >= slips.CROWD and all(c.coincidence for c in causes)
    r = check(n["E_total"], {"net_h1": "0.445"})
    assert len(r["net_h1"].causes) < slips.CROWD and not r["net_h1"].causes[0].coincidence
    assert r["net_h1"].causes[0].digits == 3


def by_hand(x, w1, b1, w2, b2):
    """The learner's network by hand: its values and the gradients of L (chain rule written out)."""
    z = w1 * x + b1
    h = math.tanh(z)
    a = w2 * h + b2
    y = sig(a)
    dL_da = -(1 - y) * y * (1 - y)
    dL_dz = dL_da * w2 * (1 - h * h)
    return {"z": z, "h": h, "a": a, "y": y, "L": 0.5 * (1 - y) ** 2, "∂L/∂a": dL_da, "∂L/∂w2": dL_da * h,
            "∂L/∂b2": dL_da, "∂L/∂w1": dL_dz * x, "∂L/∂x": dL_dz * w1, "∂L/∂b1": dL_dz}


@given(leaf=st.sampled_from(["x", "w1", "b1", "w2"]), factor=st.sampled_from([10.0, 0.1]),
       name=st.sampled_from(["z", "h", "a", "y", "L", "∂L/∂a", "∂L/∂w2", "∂L/∂w1", "∂L/∂b1"]))
def test_a_decimal_point_moved_in_any_leaf_is_found_by_hand_numbers(leaf, factor, name):
    L, h = learner()
    args = {k: h[k] for k in ("x", "w1", "b1", "w2", "b2")}
    right = by_hand(**args)[name]
    args[leaf] *= factor
    slipped = by_hand(**args)[name]
    written = f"{slipped:.6g}"
    report = check(L, {name: written})
    item = report.items[0]
    if agreement(written, right) is not None:  # the slip does not change this number to 6 digits
        assert item.verdict in ("correct", "truncated")
        return
    assert item.verdict == "wrong"
    assert f"{leaf} = {h[leaf] * factor:.10g} for {h[leaf]:.10g} (decimal point moved)" in sentences(report, name)
    assert all(agreement(written, c.value) is not None for c in item.causes)


def test_the_readme_states_the_searchs_budgets():
    from pathlib import Path
    from benchmarks import check_cost
    from micrograd_lite.explain import slips
    text = " ".join((Path(__file__).resolve().parents[1] / "docs" / "checking.md").read_text(encoding="utf-8").split())
    assert (slips._ALWAYS, slips._WORK, slips._KEEP, slips._GROUP, slips._NEIGHBOURS, slips.CROWD) == (32, 50_000, 2, 16, 2, 6)
    assert ("a family of more than 32 replays of a gradient or a step that would cost more than 50,000 node "
            "evaluations is screened") in text and "and the 2 nearest, are replayed" in text
    assert "more than 16 leaves (a wide layer's weights) `renumbered` swaps each with its next two" in text
    assert "when 6 or more different slips reproduce the number" in text
    loss, claims = check_cost.workload(4)
    assert len(topological_order(loss)) == 969 and len(claims) == 10
    assert "on 4 points, 969 nodes" in text and "`python -m benchmarks.check_cost --reps 5`" in text


# ---- random graphs: no exception, a correct claim is never wrong, every cause reproduces the digits ------------
@given(data=st.data())
def test_on_random_graphs_check_never_raises_and_never_flags_a_right_number(data):
    case = data.draw(cases, label="case")
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(case.inputs)]
    out = case(*leaves)
    if not isinstance(out, Value) or not out.parents or not math.isfinite(out.data):
        return
    out.label = "out"
    inner = [n for n in topological_order(out) if n.parents and n is not out and n.label is None]
    for i, node in enumerate(inner[:4]):
        node.label = f"n{i}"
    names = ["out"] + [f"n{i}" for i in range(min(4, len(inner)))] + [f"∂out/∂x{i}" for i in range(len(leaves))
                                                                         if leaves[i] in set(topological_order(out))]
    values = {name: claim_value(out, name, lr=0.1) for name in names}
    finite = {k: v for k, v in values.items() if math.isfinite(v)}
    digits = data.draw(st.integers(1, 8), label="digits")
    right = {k: f"{v:.{digits}g}" for k, v in finite.items()}
    assert all(i.verdict == "correct" for i in check(out, right, lr=0.1))
    scale = data.draw(st.sampled_from([-1.0, 10.0, 0.5, 1.0001, 2.0]), label="scale")
    wrong = {k: f"{v * scale + (0.3 if v == 0 else 0.0):.{digits}g}" for k, v in finite.items()}
    for item in check(out, wrong, lr=0.1):
        assert item.verdict in ("correct", "truncated", "wrong")
        for c in item.causes:
            assert c.kind in KINDS and agreement(item.written, c.value) is not None
            assert 0 <= c.digits <= 17 and isinstance(c.coincidence, bool)


def test_slip_values_lists_what_each_slip_makes_of_a_gradient():
    """`slip_values` (the exercise page's source) gives, per node, the catalogue's numbers for d root / d node:
    the sign slip is minus the engine's gradient; the engine's own value is never listed."""
    from micrograd_lite.explain import slip_values
    w, x = Value(0.4, label="w"), Value(0.5, label="x")
    h = (w * x).tanh()
    h.label = "h"
    loss = 0.5 * (0.1 - h) ** 2
    loss.label = "L"
    loss.backward()
    found = slip_values(loss, [w, h])
    assert set(found) == {w, h}
    for node in (w, h):
        kinds = {kind for kind, _, _ in found[node]}
        assert "sign" in kinds
        assert any(kind == "sign" and value == -node.grad for kind, _, value in found[node])
        assert all(value != node.grad for _, _, value in found[node])
    with pytest.raises(TypeError, match="slip_values: root must be a Value"):
        slip_values(1.0, [w])
