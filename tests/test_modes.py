"""no_grad and detect_anomaly are per thread, as PyTorch's grad mode: a block in one thread changes nothing in
another, and blocks that overlap across threads leave every thread in the default mode once they close.
The threads take turns through events, so every interleaving tested is the one written here."""

import threading

import pytest

from micrograd_lite import Value, detect_anomaly, is_anomaly_enabled, is_grad_enabled, no_grad
from micrograd_lite.modes import OPEN


def run_in_thread(target):
    errors = []

    def wrapped():
        try:
            target()
        except BaseException as e:  # reported in the main thread
            errors.append(e)
    t = threading.Thread(target=wrapped)
    t.start()
    return t, errors


def test_no_grad_in_one_thread_leaves_another_threads_gradients_alone():
    inside, done = threading.Event(), threading.Event()

    def evaluator():
        with no_grad():
            inside.set()
            assert done.wait(10)
            assert not is_grad_enabled() and (Value(1.0) * 2).parents == ()
    t, errors = run_in_thread(evaluator)
    assert inside.wait(10)
    x = Value(3.0)  # the other thread is inside no_grad() now
    y = x * x
    y.backward()
    assert is_grad_enabled() and y.parents and x.grad == 6.0
    done.set()
    t.join(10)
    assert not errors, errors


@pytest.mark.parametrize("mode, read", [(no_grad, is_grad_enabled), (detect_anomaly, is_anomaly_enabled)])
def test_blocks_overlapping_in_two_threads_leave_every_thread_in_the_default_mode(mode, read):
    default = read()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with mode():
            a_in.set()
            assert b_in.wait(10)
        a_out.set()  # A leaves first, while B is still inside

    def b():
        assert a_in.wait(10)
        with mode():
            b_in.set()
            assert a_out.wait(10)
            assert read() != default  # B's own block is still open
        assert read() == default
    (ta, ea), (tb, eb) = run_in_thread(a), run_in_thread(b)
    ta.join(10)
    tb.join(10)
    assert not ea and not eb, ea + eb
    assert read() == default and OPEN[0] == 0
    assert (Value(2.0) * 3).parents  # this thread records


def test_detect_anomaly_in_one_thread_does_not_raise_in_another():
    inside, done = threading.Event(), threading.Event()

    def checker():
        with detect_anomaly():
            inside.set()
            assert done.wait(10)
    t, errors = run_in_thread(checker)
    assert inside.wait(10)
    assert (Value(1e308) * 10).data == float("inf")  # not checked here: this thread is not in the block
    done.set()
    t.join(10)
    assert not errors, errors


def test_one_instance_entered_in_two_threads_restores_each_threads_own_mode():
    shared = no_grad()
    a_in, b_done = threading.Event(), threading.Event()

    def a():
        with shared:
            a_in.set()
            assert b_done.wait(10)
            assert not is_grad_enabled()
        assert is_grad_enabled()

    def b():
        assert a_in.wait(10)
        with detect_anomaly():
            with shared:
                assert not is_grad_enabled() and is_anomaly_enabled()
            assert is_grad_enabled() and is_anomaly_enabled()
        b_done.set()
    (ta, ea), (tb, eb) = run_in_thread(a), run_in_thread(b)
    ta.join(10)
    tb.join(10)
    assert not ea and not eb, ea + eb


def test_modes_restore_after_an_exception_and_nest():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            with detect_anomaly():
                assert not is_grad_enabled() and is_anomaly_enabled()
                Value(1.0) / 0
    assert is_grad_enabled() and not is_anomaly_enabled() and OPEN[0] == 0


def test_enable_grad_records_inside_no_grad_and_explain_check_gives_its_verdicts_there():
    from micrograd_lite import enable_grad
    from micrograd_lite.explain import check
    with no_grad():
        with enable_grad():
            assert is_grad_enabled() and (Value(1.0) * 2.0).parents
        assert not is_grad_enabled()
    x, w = Value(0.5, label="x"), Value(-1.2, label="w")
    y = (x * w).tanh()
    y.label = "y"
    claims = {"dy/dw": "0.9", "y": "-0.537", "dy/dx": 0.1}
    outside = [(r.verdict, r.value) for r in check(y, claims).items]
    with no_grad():
        inside = [(r.verdict, r.value) for r in check(y, claims).items]
    assert inside == outside and [v for v, _ in outside] == ["wrong", "correct", "wrong"]
