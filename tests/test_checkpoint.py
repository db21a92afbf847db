"""save / load: bit-exact round trips, atomic writes that survive a failure at any step, and corrupt or
foreign files reported as such without touching the model."""

import errno
import hashlib
import json
import os
import random
import re
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_lite import MLP, CheckpointError, StateDictError, checkpoint, load, save
from micrograd_lite.checkpoint import CheckpointWarning


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
    assert doc["format"] == "micrograd_lite.checkpoint" and doc["version"] == 2
    nan_bits = struct.unpack("<Q", struct.pack("<d", w.data))[0]
    expected_nan = "nan" if nan_bits == 0x7FF8000000000000 else f"nan:{nan_bits:#018x}"
    assert doc["parameters"] == {"layers.0.neurons.0.w.0": expected_nan, "layers.0.neurons.0.b": -0.0}
    assert str(-0.0) in (tmp_path / "m.json").read_text()
    w.data, b.data = float("nan"), float("-inf")
    save(model, tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text())["parameters"] == {
        "layers.0.neurons.0.w.0": "nan", "layers.0.neurons.0.b": "-inf"}


def test_checksum_is_the_sha256_of_the_file_without_its_sha256_line(tmp_path):
    save(MLP(2, [2], rng=0), tmp_path / "m.json")
    lines = (tmp_path / "m.json").read_bytes().splitlines(keepends=True)
    # 3 lines of header (the first parameter shares the "parameters" line) and one per parameter
    assert lines[2].startswith(b' "sha256": "') and len(lines) == 3 + 6
    doc = json.loads(b"".join(lines))
    assert hashlib.sha256(b"".join(lines[:2] + lines[3:])).hexdigest() == doc["sha256"]


def test_every_single_bit_flip_of_a_small_file_is_refused(tmp_path, parameter_bits):
    model = MLP(1, [1], rng=0)
    path = tmp_path / "m.json"
    save(model, path)
    raw = path.read_bytes()
    target = MLP(1, [1], rng=1)
    before = parameter_bits(target)
    accepted = []
    for i in range(len(raw)):
        for bit in range(8):
            damaged = bytearray(raw)
            damaged[i] ^= 1 << bit
            path.write_bytes(damaged)
            try:
                load(target, path)
            except CheckpointError:
                continue
            accepted.append((i, bit))
    assert len(raw) * 8 >= 1500 and accepted == []
    assert parameter_bits(target) == before


def test_a_changed_file_is_refused_even_when_it_means_the_same_floats(tmp_path, parameter_bits):
    # Any edit breaks the checksum: "1E-05" reads as the same float as "1e-05", but the file is not what
    # save wrote, so it is refused. A deliberate edit that rewrites the file as version 1 wrote it (no
    # checksum, json.dumps(indent=1)) is what the checksum cannot stop: it loads, with a warning.
    model = MLP(1, [1], rng=0)
    w, b = model.parameters()
    w.data, b.data = 1e-05, 0.5
    path = tmp_path / "m.json"
    save(model, path)
    raw = path.read_bytes()
    target = MLP(1, [1], rng=1)
    before = parameter_bits(target)
    message = (r"is corrupt: (its content does not match its SHA-256 checksum|it has no SHA-256 checksum, "
               r"which every version 2 checkpoint carries) \(the file was damaged or edited")
    for changed in (raw.replace(b"1e-05", b"1E-05"), raw.replace(b"0.5", b"0.50"),
                    raw.replace(b"0.5", b"0.25"), raw.replace(b'"sha256"', b'"SHA256"'),
                    raw.replace(b",\n ", b", "), raw + b"\n", raw[:-1]):
        assert changed != raw
        path.write_bytes(changed)
        with pytest.raises(CheckpointError, match=message):
            load(target, path)
    assert parameter_bits(target) == before
    legacy = json.loads(raw)
    del legacy["sha256"]
    legacy["version"] = 1
    legacy["parameters"]["layers.0.neurons.0.b"] = 0.25
    path.write_text(json.dumps(legacy, indent=1))
    with pytest.warns(CheckpointWarning, match=r"is a version 1 checkpoint, which has no checksum"):
        assert [p.data for p in load(target, path).parameters()] == [1e-05, 0.25]


def test_the_checksum_cannot_be_switched_off_by_the_version_or_removed(tmp_path, parameter_bits):
    model = MLP(1, [1], rng=0)
    path = tmp_path / "m.json"
    save(model, path)
    raw = path.read_bytes()
    target = MLP(1, [1], rng=1)
    before = parameter_bits(target)
    b = repr(model.layers[0].neurons[0].b.data).encode()
    downgraded = raw.replace(b'"version": 2', b'"version": 1')
    no_checksum = re.sub(rb'"sha256": "[0-9a-f]{64}",\n ', b"", raw)
    assert downgraded != raw and no_checksum != raw and b'"sha256"' not in no_checksum
    mismatch = r"is corrupt: its content does not match its SHA-256 checksum"
    missing = r"is corrupt: it has no SHA-256 checksum, which every version 2 checkpoint carries"
    not_v1 = r"has no checksum and is not a version 1 checkpoint as save wrote it"
    for changed, message in [
            (downgraded, mismatch),  # the checksum is still there: checked, and the version is part of it
            (downgraded.replace(b, b"0.25"), mismatch),  # the red team's edit
            (no_checksum, missing),
            (no_checksum.replace(b, b"0.25"), missing),
            (no_checksum.replace(b'"version": 2', b'"version": 1'), not_v1),  # not save's version 1 layout
    ]:
        path.write_bytes(changed)
        with pytest.raises(CheckpointError, match=message):
            load(target, path)
    assert parameter_bits(target) == before


def test_version_1_files_without_a_checksum_are_read(tmp_path):
    # What save wrote before checksums existed (json.dumps(doc, indent=1)): read without verification.
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"format": "micrograd_lite.checkpoint", "version": 1, "parameters": {
        "layers.0.neurons.0.w.0": "nan:0xfff8000000000000", "layers.0.neurons.0.b": -0.0}}, indent=1))
    with pytest.warns(CheckpointWarning, match=r"^load: .*m\.json is a version 1 checkpoint, which has no "
                                               r"checksum: its parameters were read unverified \(save it "
                                               r"again to add one\)$"):
        w, b = load(MLP(1, [1], rng=0), path).parameters()
    assert struct.unpack("<Q", struct.pack("<d", w.data))[0] == 0xFFF8000000000000
    assert struct.pack("<d", b.data) == struct.pack("<d", -0.0)


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
    """A file in version 1's layout (json.dumps(indent=1)), with `change` to its entries."""
    doc = {"format": "micrograd_lite.checkpoint", "version": 1,
           "parameters": {"layers.0.neurons.0.w.0": 0.5, "layers.0.neurons.0.b": -0.25}}
    doc.update(change)
    return json.dumps(doc, indent=1).encode()


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
    (_doc(version=3), r"has checkpoint version 3, expected 1 or 2$"),
    (_doc(version=True), r"has checkpoint version True, expected 1 or 2$"),
    (_doc(version="1"), r"has checkpoint version '1', expected 1 or 2$"),
    (_doc(version=2), r"is corrupt: it has no SHA-256 checksum, which every version 2 checkpoint carries"),
    # Not version 1 as save wrote it: a layout of its own, another entry, entries in another order, a newline.
    (json.dumps(json.loads(_doc())).encode(), r"has no checksum and is not a version 1 checkpoint as save wrote"),
    (_doc(note="edited"), r"has no checksum and is not a version 1 checkpoint as save wrote"),
    (json.dumps({"version": 1, **json.loads(_doc())}, indent=1).encode(),
     r"has no checksum and is not a version 1 checkpoint as save wrote"),
    (_doc() + b"\n", r"has no checksum and is not a version 1 checkpoint as save wrote"),
    (_doc().replace(b"0.5", b"0.50"), r"has no checksum and is not a version 1 checkpoint as save wrote"),
    # A checksum is checked whatever the version says, even when it is absurd.
    (_doc(sha256="0" * 64), r"is corrupt: its content does not match its SHA-256 checksum"),
    (_doc(version=2, sha256=None), r"is corrupt: its content does not match its SHA-256 checksum"),
    (_doc(version=2, sha256="0" * 64), r"is corrupt: its content does not match its SHA-256 checksum"),
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


def test_json_literals_save_never_wrote_are_refused(tmp_path):
    # Python's json writes NaN/Infinity literals when allow_nan is on; no version of save did (allow_nan=False),
    # so a file holding them, without a checksum, is not one save wrote and cannot be verified.
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"format": "micrograd_lite.checkpoint", "version": 1, "parameters":
                                {"layers.0.neurons.0.w.0": float("inf"), "layers.0.neurons.0.b": 3}}, indent=1))
    assert "Infinity" in path.read_text()
    with pytest.raises(CheckpointError, match="has no checksum and is not a version 1 checkpoint as save wrote"):
        load(MLP(1, [1], rng=0), path)


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(0, 10_000), flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                                   max_size=3))
def test_any_damage_to_a_file_is_refused(cut, flips):
    model = MLP(2, [2, 1], rng=0)
    before = [struct.pack("<d", p.data) for p in model.parameters()]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.json")
        save(model, path)
        with open(path, "rb") as f:
            original = f.read()
        raw = bytearray(original)[: cut % (len(original) + 1)]
        for where, byte in flips:
            if raw:
                raw[where % len(raw)] = byte
        with open(path, "wb") as f:
            f.write(raw)
        if raw == original:
            load(model, path)
        else:
            with pytest.raises(CheckpointError):
                load(model, path)
    assert [struct.pack("<d", p.data) for p in model.parameters()] == before


# ---- the file system: links, permissions, long names, the folder's entry, temporary files ---------------
@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="POSIX symbolic links")
def test_save_writes_through_a_symbolic_link(tmp_path, parameter_bits):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "best.json"
    link = tmp_path / "model.json"
    link.symlink_to(os.path.join("runs", "best.json"))  # relative, as `ln -s` makes them
    save(MLP(2, [2], rng=0), target)
    new = MLP(2, [2], rng=1)
    save(new, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", "best.json")
    assert parameter_bits(load(MLP(2, [2], rng=2), target)) == parameter_bits(new)
    assert sorted(os.listdir(tmp_path / "runs")) == ["best.json"]  # the temporary file was in the target's folder
    dangling = tmp_path / "later.json"
    dangling.symlink_to(tmp_path / "runs" / "later.json")  # open(path, "w") would create the target
    save(new, dangling)
    assert dangling.is_symlink() and (tmp_path / "runs" / "later.json").is_file()
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    with pytest.raises(OSError, match="too many levels of symbolic links"):
        save(new, loop)
    assert loop.is_symlink()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_save_keeps_an_existing_files_mode(tmp_path):
    path = tmp_path / "m.json"
    save(MLP(1, [1], rng=0), path)
    for mode in (0o600, 0o640, 0o444):
        os.chmod(path, mode)
        save(MLP(1, [1], rng=1), path)
        assert os.stat(path).st_mode & 0o7777 == mode


def test_long_file_names_work(tmp_path, parameter_bits):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    model = MLP(1, [1], rng=0)
    for length in (238, limit - 1, limit):
        path = tmp_path / ("m" * (length - 5) + ".json")
        save(model, path)
        save(model, path)  # over an existing file too
        assert parameter_bits(load(MLP(1, [1], rng=1), path)) == parameter_bits(model)
    assert all(not name.endswith(".tmp") for name in os.listdir(tmp_path))


@pytest.mark.skipif(os.name != "posix", reason="folders can be opened and synced on POSIX only")
def test_the_folder_is_synced_after_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src, dst):
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(checkpoint.os, "fsync", fsync)
    monkeypatch.setattr(checkpoint.os, "replace", replace)
    save(MLP(1, [1], rng=0), tmp_path / "m.json")
    assert events == ["fsync file", "rename", "fsync folder"]


def _stale_name(path, pid, suffix="dead0001"):
    return checkpoint._temporary_prefix(os.path.realpath(path)) + f"{pid}-{suffix}.tmp"


def _dead_pid():
    """The id of a process that has ended (and been waited for, so it is not a zombie)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


@pytest.mark.skipif(checkpoint.fcntl is None, reason="POSIX flock: a live save locks its temporary file")
def test_the_next_save_removes_temporary_files_of_killed_saves_only(tmp_path):
    import fcntl

    path = tmp_path / "model.json"
    dead, live = _dead_pid(), os.getpid()
    stale = tmp_path / _stale_name(path, dead)
    # A live process id, but no lock: a killed save whose process has not been waited for yet (a zombie),
    # or whose id a new process now has. Before the locks, such a file survived every later save.
    reused = tmp_path / _stale_name(path, live, "dead0002")
    in_use = tmp_path / _stale_name(path, live)  # a save running in another thread: it holds the lock
    other = tmp_path / _stale_name(tmp_path / "other.json", dead)  # another target's
    unrelated = tmp_path / "notes.tmp"
    for f in (stale, reused, in_use, other, unrelated):
        f.write_bytes(b"x" * 1000)
    assert len(stale.name) < 50
    fd = os.open(in_use, os.O_WRONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        save(MLP(1, [1], rng=0), path)
        assert sorted(os.listdir(tmp_path)) == sorted(["model.json", in_use.name, other.name, unrelated.name])
    finally:
        os.close(fd)  # the save is over: the next save removes its file if it is still there
    save(MLP(1, [1], rng=0), path)
    assert sorted(os.listdir(tmp_path)) == sorted(["model.json", other.name, unrelated.name])


@pytest.mark.skipif(checkpoint.fcntl is None, reason="POSIX flock: only there can the race happen")
def test_a_cleanup_racing_a_new_temporary_file_makes_the_save_take_another_name(tmp_path, monkeypatch):
    # Another process's cleanup may remove this save's temporary file between its creation and its lock:
    # the save sees the file gone (no link left) and starts again with a new name.
    real_lock, calls = checkpoint._lock, []

    def lock_after_a_cleanup(fd):
        calls.append(fd)
        if len(calls) == 1:
            (tmp,) = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
            os.unlink(tmp_path / tmp)
        return real_lock(fd)

    monkeypatch.setattr(checkpoint, "_lock", lock_after_a_cleanup)
    model = MLP(2, [2], rng=0)
    save(model, tmp_path / "m.json")
    assert len(calls) == 2 and os.listdir(tmp_path) == ["m.json"]
    assert load(MLP(2, [2], rng=1), tmp_path / "m.json").state_dict() == model.state_dict()


def test_an_interrupt_just_as_the_temporary_file_is_created_leaves_nothing(tmp_path, monkeypatch):
    real_open = os.open

    def open_then_interrupt(*args, **kwargs):
        real_open(*args, **kwargs)  # the file now exists; Ctrl-C arrives before save has its descriptor
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.os, "open", open_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        save(MLP(1, [1], rng=0), tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


# ---- kill -9 and SIGTERM at random moments during save ---------------------------------------------------
def _slow_fsync(fd):
    time.sleep(0.03)
    os.fsync(fd)


@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(os, "waitid"),
                    reason="needs os.fork and os.waitid to kill a process in the middle of save")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_kill_during_save_leaves_the_old_or_the_new_file_and_no_temporary(tmp_path, parameter_bits, sig):
    # A child process saves two models (190 kB files) in turn, over and over, and is killed (no cleanup runs:
    # neither signal has a handler). The file must then be one of the two checkpoints, byte for byte, and the
    # parent's next save must remove any temporary file the child left, although the child is not yet waited
    # for (a zombie, whose process id still answers signal 0). Even trials kill after a random delay, at
    # any point of a save. On a fast disk the temporary file lives for a tiny part of a save, so odd trials
    # slow the child's fsync down, as a real disk's is, wait until a temporary file appears, and kill at a
    # random moment of the write window.
    rng = random.Random(17 + sig)
    path = tmp_path / "model.json"
    shape = (32, [64, 64, 10])
    models = [MLP(*shape, rng=0), MLP(*shape, rng=1)]
    contents = []
    start = time.perf_counter()
    for m in models:
        save(m, path)
        contents.append(path.read_bytes())
    period = (time.perf_counter() - start) / 2  # one save, as measured here
    for m, raw in zip(models, contents):
        path.write_bytes(raw)
        assert parameter_bits(load(MLP(*shape, rng=2), path)) == parameter_bits(m)
    seen, temporaries = set(), 0
    for trial in range(16):
        pid = os.fork()
        if pid == 0:  # the child: save until killed
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # no handler: SIGTERM ends it at once
                if trial % 2:
                    checkpoint.os = types.SimpleNamespace(**{**vars(os), "fsync": _slow_fsync})
                while True:
                    for m in models:
                        save(m, path)
            finally:
                os._exit(1)
        if trial % 2:
            deadline = time.monotonic() + 10.0
            while len(os.listdir(tmp_path)) == 1 and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0.0, 0.04))
        else:
            time.sleep(rng.uniform(0.0, 2.0 * period))
        os.kill(pid, sig)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # dead, but not waited for: a zombie
        raw = path.read_bytes()
        assert raw in contents, f"trial {trial}: the file is neither the old nor the new checkpoint"
        seen.add(contents.index(raw))
        temporaries += len(os.listdir(tmp_path)) - 1
        save(models[trial % 2], path)
        assert os.listdir(tmp_path) == ["model.json"], f"trial {trial}: a temporary file survived the next save"
        assert path.read_bytes() == contents[trial % 2]
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == sig
    assert seen == {0, 1}
    assert temporaries >= 5  # the odd trials did kill while a temporary file existed
