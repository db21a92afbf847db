"""save / load: bit-exact round trips, atomic writes that survive a failure at any step, and corrupt or
foreign files reported as such without touching the model."""

import errno
import json
import os
import re
import struct
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_lite import MLP, CheckpointError, StateDictError, checkpoint, load, save


def from_bits(n):
    return struct.unpack("<d", struct.pack("<Q", n))[0]


# Every float: Hypothesis's own (NaN, +-inf, -0.0, subnormals) and arbitrary bit patterns, which include
# NaNs with the sign bit or a payload set.
FLOATS = st.one_of(st.floats(), st.integers(0, 2**64 - 1).map(from_bits))


@settings(max_examples=60, deadline=None)
@given(nin=st.integers(1, 3), nouts=st.lists(st.integers(1, 3), min_size=1, max_size=3), data=st.data())
def test_round_trip_is_bit_exact_for_random_models(nin, nouts, data):
    model = MLP(nin, nouts, rng=0)
    for p in model.parameters():
        p.data = data.draw(FLOATS)
    fresh = MLP(nin, nouts, rng=1)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.json")
        assert save(model, path) == path
        assert load(fresh, path) is fresh
        assert os.listdir(folder) == ["model.json"]
    bits = [struct.pack("<d", p.data) for p in model.parameters()]
    assert [struct.pack("<d", p.data) for p in fresh.parameters()] == bits


def test_file_is_readable_json_with_special_values_as_strings(tmp_path):
    model = MLP(1, [1], rng=0)
    w, b = model.parameters()
    w.data, b.data = float("inf") - float("inf"), -0.0  # on x86 this NaN has its sign bit set
    save(model, tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["format"] == "micrograd_lite.checkpoint" and doc["version"] == 1
    nan_bits = struct.unpack("<Q", struct.pack("<d", w.data))[0]
    expected_nan = "nan" if nan_bits == 0x7FF8000000000000 else f"nan:{nan_bits:#018x}"
    assert doc["parameters"] == {"layers.0.neurons.0.w.0": expected_nan, "layers.0.neurons.0.b": -0.0}
    assert str(-0.0) in (tmp_path / "m.json").read_text()
    w.data, b.data = float("nan"), float("-inf")
    save(model, tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text())["parameters"] == {
        "layers.0.neurons.0.w.0": "nan", "layers.0.neurons.0.b": "-inf"}


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_file_gets_the_permissions_open_would_give(tmp_path):
    old = os.umask(0o027)
    try:
        save(MLP(1, [1], rng=0), tmp_path / "m.json")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "m.json").st_mode & 0o777 == 0o640


# ---- a failure at any step of save leaves the previous file as it was, and no temporary file ------------
class _HalfWriter:
    """A file whose write puts down half the text and then fails, as on a full disk."""

    def __init__(self, f, error):
        self._f, self._error = f, error

    def write(self, text):
        self._f.write(text[: len(text) // 2])
        self._f.flush()
        raise self._error

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()

    def __getattr__(self, name):
        return getattr(self._f, name)


def _fail_write(monkeypatch, error):
    real = os.fdopen
    monkeypatch.setattr(checkpoint.os, "fdopen", lambda *a, **k: _HalfWriter(real(*a, **k), error))


def _fail(name, error):
    def patch(monkeypatch):
        def broken(*args, **kwargs):
            raise error
        monkeypatch.setattr(checkpoint.os, name, broken)
    return patch


FAILURES = {
    "disk full during write": (lambda mp: _fail_write(mp, OSError(errno.ENOSPC, "No space left on device")),
                               OSError),
    "interrupt during write": (lambda mp: _fail_write(mp, KeyboardInterrupt()), KeyboardInterrupt),
    "fsync fails": (_fail("fsync", OSError(errno.EIO, "Input/output error")), OSError),
    "rename fails": (_fail("replace", OSError(errno.EACCES, "Permission denied")), OSError),
    "interrupt before rename": (_fail("replace", KeyboardInterrupt()), KeyboardInterrupt),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch, failure, parameter_bits):
    path = tmp_path / "model.json"
    old = MLP(2, [3, 1], rng=0)
    save(old, path)
    previous = path.read_bytes()
    patch, error = FAILURES[failure]
    patch(monkeypatch)
    with pytest.raises(error):
        save(MLP(2, [3, 1], rng=1), path)
    monkeypatch.undo()
    assert path.read_bytes() == previous
    assert os.listdir(tmp_path) == ["model.json"]  # the temporary file is gone
    assert parameter_bits(load(MLP(2, [3, 1], rng=2), path)) == parameter_bits(old)


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_first_save_leaves_no_file(tmp_path, monkeypatch, failure):
    patch, error = FAILURES[failure]
    patch(monkeypatch)
    with pytest.raises(error):
        save(MLP(2, [1], rng=0), tmp_path / "model.json")
    assert os.listdir(tmp_path) == []


# ---- bad paths and bad files --------------------------------------------------------------------------
def test_paths_that_are_folders_or_missing(tmp_path):
    m = MLP(1, [1], rng=0)
    with pytest.raises(IsADirectoryError, match=r"^save: .* is a folder; give a file name$"):
        save(m, tmp_path)
    with pytest.raises(FileNotFoundError, match=r"^save: folder .*nowhere does not exist$"):
        save(m, tmp_path / "nowhere" / "m.json")
    with pytest.raises(IsADirectoryError):
        load(m, tmp_path)
    with pytest.raises(FileNotFoundError):
        load(m, tmp_path / "missing.json")
    assert os.listdir(tmp_path) == []


def _doc(**change):
    doc = {"format": "micrograd_lite.checkpoint", "version": 1,
           "parameters": {"layers.0.neurons.0.w.0": 0.5, "layers.0.neurons.0.b": -0.25}}
    doc.update(change)
    return json.dumps(doc).encode()


def _params(**values):
    return _doc(parameters={"layers.0.neurons.0.w.0": 0.5, "layers.0.neurons.0.b": -0.25, **values})


CORRUPT = [
    (_doc()[:40], r"is corrupt or truncated \(not valid JSON: "),
    (b"", r"is corrupt or truncated \(not valid JSON: "),
    (b"\xff\xfe\x00garbage", r"is corrupt or truncated \(not valid JSON: "),
    (b"[" * 100_000, r"is corrupt or truncated \(not valid JSON: "),
    (b'{"x": ' + b"1" * 5000 + b"}", r"is corrupt or truncated \(not valid JSON: "),
    (b"[1.0, 2.0]", r"is not a micrograd_lite checkpoint$"),
    (b'"micrograd_lite.checkpoint"', r"is not a micrograd_lite checkpoint$"),
    (_doc(format="torch"), r"is not a micrograd_lite checkpoint$"),
    (_doc(parameters=[0.5, -0.25]), r"is not a micrograd_lite checkpoint$"),
    (json.dumps({"format": "micrograd_lite.checkpoint", "version": 1}).encode(),
     r"is not a micrograd_lite checkpoint$"),
    (_doc(version=2), r"has checkpoint version 2, expected 1$"),
    (_doc(version=True), r"has checkpoint version True, expected 1$"),
    (_doc(version="1"), r"has checkpoint version '1', expected 1$"),
    (_params(**{"layers.0.neurons.0.b": "-0.25"}),
     r"is corrupt: parameters that are not floats: layers\.0\.neurons\.0\.b='-0\.25'$"),
    (_params(**{"layers.0.neurons.0.b": None, "layers.0.neurons.0.w.0": [0.5]}),
     r"is corrupt: parameters that are not floats: layers\.0\.neurons\.0\.w\.0=\[0\.5\], "
     r"layers\.0\.neurons\.0\.b=None$"),
    (_params(**{"layers.0.neurons.0.b": True}), r"not floats: layers\.0\.neurons\.0\.b=True$"),
    (_params(**{"layers.0.neurons.0.b": "nan:0x3ff0000000000000"}),  # the bits of 1.0, not a NaN
     r"not floats: layers\.0\.neurons\.0\.b='nan:0x3ff0000000000000'$"),
    (_params(**{"layers.0.neurons.0.b": "nan:0xzzzzzzzzzzzzzzzz"}), r"not floats: layers\.0\.neurons\.0\.b="),
    (_params(**{"layers.0.neurons.0.b": 10**400}), r"not floats: layers\.0\.neurons\.0\.b=1000"),
]


@pytest.mark.parametrize("content, message", CORRUPT, ids=range(len(CORRUPT)))
def test_a_corrupt_or_foreign_file_is_reported_and_changes_nothing(tmp_path, content, message, parameter_bits):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    m = MLP(1, [1], rng=0)
    before = parameter_bits(m)
    with pytest.raises(CheckpointError) as info:
        load(m, path)
    assert str(info.value).startswith(f"load: {path} ")
    assert re.search(message, str(info.value)), str(info.value)
    assert parameter_bits(m) == before


def test_a_checkpoint_of_another_model_is_reported_and_changes_nothing(tmp_path, parameter_bits):
    save(MLP(2, [2], rng=0), tmp_path / "m.json")
    m = MLP(2, [3], rng=0)
    before = parameter_bits(m)
    with pytest.raises(StateDictError, match=r"^load_state_dict into MLP: missing: 'layers\.0\.neurons\.2\.b', "
                                             r"'layers\.0\.neurons\.2\.w\.0', 'layers\.0\.neurons\.2\.w\.1' "
                                             r"\(no parameter was changed\)$"):
        load(m, tmp_path / "m.json")
    assert parameter_bits(m) == before
    load(m, tmp_path / "m.json", strict=False)  # loads the two neurons it shares
    assert m.layers[0].neurons[0].w[0].data == MLP(2, [2], rng=0).layers[0].neurons[0].w[0].data


def test_old_style_json_literals_are_read(tmp_path):
    # Python's json writes NaN/Infinity literals when allow_nan is on; a hand-edited file may hold them.
    path = tmp_path / "m.json"
    path.write_text('{"format": "micrograd_lite.checkpoint", "version": 1, "parameters": '
                    '{"layers.0.neurons.0.w.0": Infinity, "layers.0.neurons.0.b": 3}}')
    m = load(MLP(1, [1], rng=0), path)
    assert [p.data for p in m.parameters()] == [float("inf"), 3.0]


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(0, 10_000), flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                                   max_size=3))
def test_any_damage_to_a_file_loads_or_is_reported(cut, flips):
    model = MLP(2, [2, 1], rng=0)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.json")
        save(model, path)
        with open(path, "rb") as f:
            raw = bytearray(f.read())
        raw = raw[: cut % (len(raw) + 1)]
        for where, byte in flips:
            if raw:
                raw[where % len(raw)] = byte
        with open(path, "wb") as f:
            f.write(raw)
        try:
            load(model, path)
        except (CheckpointError, StateDictError):
            return
        assert all(type(p.data) is float for p in model.parameters())
