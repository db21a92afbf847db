"""Saving and restoring a module's parameters as JSON, exactly and atomically.

Floats are written with ``repr`` (the shortest string that reads back to the same float), so a round trip
is bit-exact, -0.0 and subnormals included. JSON has no NaN or infinity, so they are written as the strings
"inf", "-inf" and "nan"; a NaN whose bits differ from Python's ``float("nan")`` (the sign bit, set on the NaN
that x86 arithmetic such as ``inf - inf`` produces, or a payload) is written as "nan:0x" and its 16 hex
digits, so it too reads back bit for bit.
A checkpoint is written to a temporary file in the same folder, flushed to disk, and renamed over the
target, so a crash or a full disk leaves the previous file intact, never a half-written one.
"""

import json
import math
import os
import secrets
import struct

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "micrograd_lite.checkpoint"
VERSION = 1
_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_NAN_BITS = struct.unpack("<Q", struct.pack("<d", math.nan))[0]


class CheckpointError(ValueError):
    """A file that is not a readable micrograd_lite checkpoint (corrupt, truncated or of another format)."""


def _bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _encode(x):
    """A parameter as JSON: the float itself, or a string for infinities and NaNs."""
    if math.isfinite(x):
        return x
    if math.isnan(x):
        bits = _bits(x)
        return "nan" if bits == _NAN_BITS else f"nan:{bits:#018x}"
    return "inf" if x > 0 else "-inf"


def _decode(v):
    """The float a JSON parameter entry stands for, or None when it is not one `_encode` writes."""
    if type(v) is float:
        return v
    if type(v) is int:
        try:
            return float(v)
        except OverflowError:
            return None
    if isinstance(v, str):
        if v in _SPECIAL:
            return _SPECIAL[v]
        if v.startswith("nan:0x") and len(v) == 22:
            try:
                x = struct.unpack("<d", struct.pack("<Q", int(v[4:], 16)))[0]
            except ValueError:
                return None
            return x if math.isnan(x) else None
    return None


def save(module, path):
    """Write ``module.state_dict()`` to `path` (JSON) atomically. Returns `path`.

    The file is {"format": "micrograd_lite.checkpoint", "version": 1, "parameters": {name: float}}, with
    the file's permissions what ``open(path, "w")`` would give. On any error (a full disk, an interrupt)
    the previous file at `path`, if one exists, is left as it was and no temporary file remains.
    Raises IsADirectoryError when `path` is a folder, FileNotFoundError when its folder does not exist."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path} is a folder; give a file name")
    doc = {"format": FORMAT, "version": VERSION,
           "parameters": {k: _encode(v) for k, v in module.state_dict().items()}}
    text = json.dumps(doc, indent=1, allow_nan=False)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: folder {folder} does not exist")
    fd, tmp = _create_temporary(folder, os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename, so the rename never exposes an empty file
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see the old file or the new one
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:  # already gone; the original error is the one to report
            pass
        raise
    return path


def _create_temporary(folder, name):
    """Create a new empty file ``.{name}.{random}.tmp`` in `folder`; returns (file descriptor, path).

    Made with mode 0o666 less the umask, as ``open(path, "w")`` would (tempfile.mkstemp would make it
    private, 0o600); O_EXCL guarantees the file is new."""
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def load(module, path, strict=True):
    """Read a checkpoint written by `save` into `module` (via ``load_state_dict``; nothing changes on
    error). Returns `module`. Raises FileNotFoundError (no such file), IsADirectoryError (a folder),
    CheckpointError for a file that is corrupt, truncated or of another format (naming the file and the
    problem), and nn.StateDictError when the names do not fit the module."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as e:  # bad UTF-8, bad JSON, absurdly long ints or deep nesting
        raise CheckpointError(f"load: {path} is corrupt or truncated (not valid JSON: {e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("parameters"), dict):
        raise CheckpointError(f"load: {path} is not a micrograd_lite checkpoint")
    version = doc.get("version")
    if type(version) is not int or version != VERSION:
        raise CheckpointError(f"load: {path} has checkpoint version {version!r}, expected {VERSION}")
    params, bad = {}, []
    for name, v in doc["parameters"].items():
        x = _decode(v)
        if x is None:
            bad.append(f"{name}={v!r}"[:80])
        params[name] = x
    if bad:
        raise CheckpointError(f"load: {path} is corrupt: parameters that are not floats: " + ", ".join(bad))
    module.load_state_dict(params, strict=strict)
    return module
