"""The benchmarks, run on tiny sizes: every row of the report is there, micrograd and micrograd_lite agree
on the gradients of the same graph, and the workloads the timings rest on compute what they claim (the
float floor, the closure variant and the engine before issue 11, the generic training steps). Nothing here is
timed."""

import math

import pytest

from benchmarks import backward_variants, run, workloads
from micrograd_lite import Value

TINY = run.Sizes(width=20, depth=7, reps=1, moons_points=10, moons_steps=1, chain=3000, batch=2, hidden=8)


@pytest.fixture(scope="module")
def results():
    return run.run_all(TINY)


def test_report_has_every_row(results):
    report = run.format_report(results)
    for row in ["(a) forward, 159-op mixed graph, 12 deep", "(a') forward, the same with the cyclic GC off",
                "(b) backward, same graph", "(c) moons demo step", "(d) deepest chain that backpropagates",
                "(e) memory per node", "(f) makemore step, batch 2",
                "gradients, largest difference / largest gradient",
                "one shared backward function per op", "operands as default arguments", "operands in cells",
                "plain floats (the floor)", "Python 3."]:
        assert row in report
    assert report.count("\n|") >= 8 + 5  # the two tables' rows (headers included)


def test_engines_agree_on_the_gradients(results):
    worst, leaves = results["mixed_grad"]
    assert leaves == 20 + 20 * 2  # the first layer, and one constant per node of the two "*c" stages
    assert worst <= 1e-12
    assert results["moons"]["grad_diff"] <= 1e-12


def test_chains(results):
    chain = results["chain"]
    assert chain["ours_ok"] and chain["ours_n"] == 3000
    # micrograd's recursive sort stops below the recursion limit; the bisection found the exact edge.
    assert 1 < chain["micrograd_max"] < chain["recursion_limit"]


def test_every_timing_is_positive(results):
    for key in ["forward", "backward", "forward_nogc"]:
        for times in results["mixed"][key].values():
            assert times and all(t > 0 for t in times)
    assert all(t > 0 for ts in results["moons"]["ms"].values() for t in ts)
    assert all(b > 0 for b in results["bytes"].values())


def test_quick_command_prints_the_report(monkeypatch, capsys):
    monkeypatch.setattr(run, "QUICK", TINY)
    run.main(["--quick", "--clock", "process_time"])
    out = capsys.readouterr().out
    assert "(c) moons demo step" in out and "clock process_time" in out


def test_float_floor_computes_the_engines_gradients():
    plan = workloads.mixed_plan(20, 7)
    first, consts = workloads.plan_leaves(plan, Value)
    root = workloads.build(plan, (first, consts))
    root.backward()
    layers = workloads.float_forward(plan)
    assert layers[-1] == [root.data]
    assert workloads.float_backward(plan, layers) == pytest.approx([v.grad for v in first], rel=1e-12)


@pytest.mark.parametrize("variant", [backward_variants.CellValue, backward_variants.SharedFunctionValue])
def test_closure_variants_compute_the_engines_gradients(variant):
    plan = workloads.mixed_plan(20, 8, stages=workloads.ADD_MUL_STAGES)
    ours = workloads.plan_leaves(plan, Value)
    theirs = workloads.plan_leaves(plan, variant)
    a, b = workloads.build(plan, ours), workloads.build(plan, theirs)
    a.backward()
    b.backward()
    assert a.data == b.data
    assert [v.grad for v in ours[0]] == [v.grad for v in theirs[0]]


def test_mixed_plan_keeps_values_finite_and_nonzero():
    layers = workloads.float_forward(workloads.mixed_plan())
    last = layers[-1][0]
    assert math.isfinite(last) and last != 0.0
    assert sum(x != 0.0 for x in layers[99]) > 500  # relu and products have not zeroed the last layer


def test_every_op_agrees_with_pytorch_float64_when_torch_is_installed():
    pytest.importorskip("torch", reason="torch is not in any extra (a large download): pip install torch")
    from benchmarks import torch_agreement
    differences = {**torch_agreement.op_differences(), **torch_agreement.softmax_differences()}
    assert set(differences) >= {"sqrt", "abs", "dot", "logsumexp", "cross_entropy"}
    assert max(differences.values()) <= 1e-12, differences


def test_report_fits_120_columns_stacked_and_is_full_width_without_a_limit(results):
    narrow = run.format_report(results, width=120)
    assert max(len(line) for line in narrow.splitlines()[:-2]) <= 120  # all but the machine line
    assert "(c) moons demo step, MLP(2,[16,16,1]), 10 points (ms)\n  micrograd 0.1.0: " in narrow
    assert "  micrograd / ours: " in narrow and "  target: >= 15x (stretch 40x)" in narrow
    wide = run.format_report(results)
    assert max(len(line) for line in wide.splitlines()) > 120 and wide.count("\n|") >= 13
    assert run.format_report(results, width=1000) == wide


def test_progress_bar_names_each_measurement(capsys):
    run.run_all(run.Sizes(width=5, depth=2, reps=1, moons_points=4, moons_steps=1, chain=50, batch=1, hidden=2),
                progress=True)
    err = capsys.readouterr().err
    assert "benchmark mixed" in err and "0/7 [" in err  # tqdm redraws at most every 0.1 s: the first is sure


def test_compiled_benchmark_reports_both_steps_with_equal_losses():
    from benchmarks import compiled

    results = [compiled.measure("moons", compiled._moons_pair(), 2),
               compiled.measure("makemore", compiled._makemore_pair(4), 2)]
    for r in results:
        assert r["loss_diff"] <= 1e-12 and r["engine"] > 0 and r["compiled"] > 0
        assert r["trace"] > 0 and r["codegen"] > 0 and r["pycompile"] > 0 and r["lines"] > r["ops"]
    report = compiled.report(results, (0.5, 0.6))
    assert "moons" in report and "makemore" in report and "load average 0.5 before, 0.6 after" in report


def test_batched_benchmark_times_both_batched_steps_on_both_workloads():
    pytest.importorskip("numpy")
    from benchmarks import batched
    results = batched.run(repeat=1, number=1)
    assert set(results) == {"makemore, batch 32, 30-200-27", "moons, 100 points"}
    for steps in results.values():
        assert {"batched, through the Values", "batched, parameter vector", "batched, vector + SGD",
                "batched, vector + Adam"} <= set(steps)
        assert all(ms > 0 for ms in steps.values())
