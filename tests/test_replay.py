"""micrograd_lite.explain.replay: a replayed graph has the original's values and gradients (random DAGs of every
op), substitutions change exactly what they replace, and bad substitutes or ops are named in the error."""

import pytest
from hypothesis import given

from micrograd_lite import Value, topological_order
from micrograd_lite.explain.replay import replay
from test_properties import cases


@given(case=cases)
def test_replay_of_a_random_dag_has_the_same_values_and_gradients(case):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(case.inputs)]
    out = case(*leaves)
    if not isinstance(out, Value) or not out.parents:
        return
    out.backward()
    new = replay(out)
    assert set(new) == set(topological_order(out))
    new[out].backward()
    for node, copy in new.items():
        assert copy is not node and copy.data == node.data and copy.label == node.label and copy.op == node.op
    for leaf in leaves:
        if leaf in new:
            assert new[leaf].grad == pytest.approx(leaf.grad, rel=1e-12, abs=1e-12)


def test_a_number_substitute_makes_a_leaf_and_everything_downstream_is_recomputed(mazur_net):
    p, n = mazur_net
    new = replay(n["net_h1"], {n["i1"]: 0.5})
    assert new[n["net_h1"]].data == pytest.approx(0.5 * 0.15 + 0.1 * 0.2 + 0.35, rel=1e-15)
    assert new[n["i1"]].label == "i1" and not new[n["i1"]].parents
    assert n["i1"].data == 0.05 and p["w1"].grad != 0.0  # the original is untouched


def test_a_callable_substitute_can_skip_an_activation(mazur_net):
    _, n = mazur_net
    new = replay(n["E_total"], {n["out_h1"]: lambda ps, node: ps[0]})
    assert new[n["out_h1"]] is new[n["net_h1"]] and new[n["out_h1"]].label == "net_h1"
    assert new[n["net_o1"]].data == pytest.approx(0.4 * 0.3775 + 0.45 * n["out_h2"].data + 0.6, rel=1e-14)


def test_number_exponent_sum_start_and_dot_without_bias_replay():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    y = Value.sum([a ** 2, Value.dot([a], [b])], start=1.5) * (a ** b)
    new = replay(y, {a: 1.0})
    assert new[y].data == pytest.approx((1.0 + 3.0 + 1.5) * 1.0, rel=1e-15)
    new[y].backward()
    assert new[b].grad == pytest.approx(1.0 * 1.0 + 5.5 * 0.0, rel=1e-15)  # d/db: dot's a, a**b's a^b ln a = 0


def test_errors_name_the_problem():
    a = Value(2.0, label="a")
    y = a.log()
    with pytest.raises(TypeError, match="replay: root must be a Value"):
        replay(2.0)
    with pytest.raises(TypeError, match="substitute for 'a' must be a number or a callable"):
        replay(y, {a: "2"})
    with pytest.raises(TypeError, match="returned float"):
        replay(y, {y: lambda ps, node: 1.0})
    with pytest.raises(ValueError, match="log: argument must be > 0"):
        replay(y, {a: -1.0})
