"""benchmarks/gpt_step.py and its microgpt-style engine (benchmarks/microgpt_style.py), on tiny sizes: the
published design computes the same loss and gradients as micrograd_lite's GPT, and the report has its rows.
Nothing here is timed."""

import math

import pytest

from benchmarks import gpt_step, microgpt_style
from demos import gpt

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn"]


def test_the_microgpt_style_engine_computes_our_loss_and_gradients():
    ours = gpt.GPT(n_layer=2, n_embd=8, n_head=2, block_size=6, rng=3)
    theirs = microgpt_style.MicroGPT(ours)
    tokens = gpt.encode("olivia", 6)
    a, b = ours.loss(tokens), theirs.loss(tokens)
    assert a.data == pytest.approx(b.data, rel=1e-13)
    a.backward()
    b.backward()
    for p, q in zip(ours.parameters(), theirs.params):
        assert p.grad == pytest.approx(q.grad, rel=1e-10, abs=1e-14)


def test_microgpt_style_ops_and_local_gradients():
    V = microgpt_style.Value
    x = V(2.0)
    y = (x * x + 3 - x / 4) ** 2 + (-x).exp().log() + x.relu()
    y.backward()
    inner = 4 + 3 - 0.5
    assert y.data == pytest.approx(inner ** 2 - 2 + 2)
    assert x.grad == pytest.approx(2 * inner * (2 * 2 - 0.25) - 1 + 1)
    assert microgpt_style.softmax([V(0.0), V(math.log(3))])[1].data == pytest.approx(0.75)


def test_adam_step_matches_micrograd_lite_adam():
    from micrograd_lite import Adam, Value
    ps, qs = [Value(0.5), Value(-1.0)], [microgpt_style.Value(0.5), microgpt_style.Value(-1.0)]
    opt = Adam(ps, lr=0.01, betas=(0.85, 0.99))
    m, v = [0.0, 0.0], [0.0, 0.0]
    for t, grads in enumerate([(0.3, -2.0), (1.0, 0.5), (-0.7, 0.1)], start=1):
        for p, q, g in zip(ps, qs, grads):
            p.grad = q.grad = g
        opt.step()
        microgpt_style.adam_step(qs, m, v, t, 0.01)
        assert [p.data for p in ps] == pytest.approx([q.data for q in qs], rel=1e-14)


def test_run_and_report():
    results = gpt_step.run(WORDS, steps=3)
    assert results["loss_diff"] <= 1e-12
    assert all(len(ts) == 3 and min(ts) > 0 for ts in results["ms"].values())
    assert results["nodes"]["microgpt-style"] > 5 * results["nodes"]["ours"]
    report = gpt_step.format_report(results, 3, "perf_counter")
    for row in ["3 steps per engine, interleaved (perf_counter); load average", "microgpt-style  median",
                "ours            median", "ratio microgpt-style / ours:",
                "largest difference between the two engines' losses"]:
        assert row in report


def test_main(tmp_path, capsys):
    path = tmp_path / "names.txt"
    path.write_text("\n".join(WORDS * 2) + "\n")
    gpt_step.main(["--data", str(path), "--steps", "2", "--clock", "process_time"])
    out = capsys.readouterr().out
    assert "(process_time)" in out and "ratio microgpt-style / ours" in out
