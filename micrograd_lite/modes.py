"""Evaluation modes: `no_grad()`, `enable_grad()` and `detect_anomaly()`, per thread, as PyTorch's grad mode is.

Each thread has its own switches (a `threading.local`). Ops must not pay for a thread-local lookup on every
node, so `OPEN[0]` counts the blocks open in all threads: while it is 0, the common case, every thread is in
the default mode (recording, no anomaly checks) and the engine looks no further.
"""

import functools
import math
import threading

__all__ = ["no_grad", "enable_grad", "detect_anomaly", "is_grad_enabled", "is_anomaly_enabled"]


OPEN = [0]  # mode blocks open in all threads (a list, so the engine reads it without a module lookup)
_count_lock = threading.Lock()  # `+=` on a shared int is not atomic across threads


class _Switches(threading.local):
    recording = True  # class attributes: every thread starts with the defaults
    anomaly = False

    def __init__(self):
        self.saved = []  # a stack of (recording, anomaly), one entry per open block of this thread


_state = _Switches()


def is_grad_enabled():
    """True unless this thread is inside `no_grad()` (as ``torch.is_grad_enabled``)."""
    return _state.recording


def is_anomaly_enabled():
    """True when this thread is inside `detect_anomaly()`."""
    return _state.anomaly


class _Mode:
    """Base of the context managers that set this thread's switches and restore them on exit (also on
    error). Blocks nest, also when one instance is entered again inside itself or in several threads: the
    saved switches live on the entering thread's own stack."""

    def __enter__(self):
        state = _state
        state.saved.append((state.recording, state.anomaly))
        with _count_lock:
            OPEN[0] += 1
        state.recording, state.anomaly = self._switch(state.recording, state.anomaly)
        return self

    def __exit__(self, *exc):
        state = _state
        state.recording, state.anomaly = state.saved.pop()
        with _count_lock:
            OPEN[0] -= 1
        return False

    def __call__(self, fn):
        """As a decorator: `fn` runs inside this mode (as PyTorch's modes decorate)."""
        @functools.wraps(fn)
        def inside(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return inside


class no_grad(_Mode):
    """Context manager: ops of this thread inside it build no graph and keep no parents (for evaluation and
    sampling), like ``torch.no_grad()``. Values made inside are leaves; ``backward()`` through them stops
    there. Other threads keep recording."""

    def _switch(self, recording, anomaly):
        return False, anomaly


class enable_grad(_Mode):
    """Context manager (or decorator): ops of this thread inside it record the graph even inside a
    `no_grad()` block, like ``torch.enable_grad()``. `autograd.grad` with ``create_graph=True``, `hessian`,
    `gradcheck` and `gradgradcheck` run inside it, so they give the same answer inside ``no_grad()`` as
    outside (``explain.check`` runs in a mode of its own that also turns anomaly checks off)."""

    def _switch(self, recording, anomaly):
        return True, anomaly


class detect_anomaly(_Mode):
    """Context manager, like ``torch.autograd.detect_anomaly()``: inside it, in this thread, the first op
    whose forward value is NaN or infinite, and the first backward step that produces a NaN or infinite
    gradient, raise FloatingPointError naming the op and its inputs (with their labels; in backward also the
    node's label). A NaN or infinite `gradient` passed to ``backward()`` raises too. Leaves made with
    ``Value(nan)`` are not checked until an op uses them."""

    def _switch(self, recording, anomaly):
        return recording, True


def anomaly_in_forward(op, data, parents):
    """Under detect_anomaly(): the error for an op whose forward value `data` is NaN or infinite."""
    raise FloatingPointError(f"detect_anomaly: {op} produced {data!r} from inputs "
                             + ", ".join(repr(p) for p in parents))


def backward_checked(order):
    """backward() under detect_anomaly(): runs the closures of `order` (a topological order of computed
    nodes) in reverse, and after each the first non-finite gradient raises, naming the op and its node."""
    for node in reversed(order):
        node._backward(node.grad)
        for p in node.parents:
            if not math.isfinite(p.grad):
                name = f" (label {node.label!r})" if node.label is not None else ""
                raise FloatingPointError(
                    f"detect_anomaly: backward of {node.op}{name} gave gradient {p.grad!r} to {p!r}; "
                    f"inputs " + ", ".join(repr(q) for q in node.parents))
