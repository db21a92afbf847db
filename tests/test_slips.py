"""micrograd_lite.slips (explain.check): verdicts to the printed digits, every kind of slip detected on the
notes' two networks (Mazur's 2-2-2 and the truth-table net with the notes' printed weights), correct,
rounded and truncated claims never flagged, and the errors for bad names and numbers."""

import math
from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import given, strategies as st

from demos import mazur, truth_table
from micrograd_lite import cross_entropy
from micrograd_lite.explain import CheckReport, check, claim_value
from micrograd_lite.slips import KINDS, agreement

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


# ---- errors -------------------------------------------------------------------------------------------------
def test_errors_name_the_claim_and_list_the_labels(net):
    _, n = net
    root = n["E_total"]
    with pytest.raises(KeyError, match="unknown name 'out_h3'.*known labels: E_o1, E_o2, E_total, b1"):
        check(root, {"out_h3": "0.5"})
    with pytest.raises(KeyError, match="∂E_total/∂w9"):
        check(root, {"∂E_total/∂w9": "0.5"})
    n["w6"].label = "w5"
    with pytest.raises(KeyError, match="ambiguous label 'w5' \\(2 nodes\\)"):
        check(root, {"w5": "0.4"})
    n["w6"].label = "w6"
    with pytest.raises(ValueError, match="'w5\\+' .* needs lr"):
        check(root, {"w5+": "0.35"})
    with pytest.raises(ValueError, match="cannot read the written number '0,5'"):
        check(root, {"net_h2": "0,5"})
    with pytest.raises(TypeError, match="must be a str .* got list"):
        check(root, {"net_h2": [0.5]})
    with pytest.raises(TypeError, match="check: root must be a Value"):
        check(0.5, {})


def test_check_leaves_the_graphs_grads_alone(net):
    p, n = net
    n["E_total"].backward()
    before = {k: v.grad for k, v in n.items()}
    check(n["E_total"], {"∂E_total/∂w1": "0.1", "w5+": "0.2", "net_o1": "0.75"}, lr=0.5)
    assert {k: v.grad for k, v in n.items()} == before
