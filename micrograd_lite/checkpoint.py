"""Saving and restoring a module's parameters as JSON, exactly and atomically.

Floats are written with ``repr`` (the shortest string that reads back to the same float), so a round trip
is bit-exact; NaN and infinities, which JSON lacks, are written as the strings "nan", "inf", "-inf".
A checkpoint is written to a temporary file in the same folder and renamed over the target, so a crash or
a full disk leaves the previous file intact, never a half-written one.
"""

import json
import math
import os
import tempfile

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "micrograd_lite.checkpoint"
VERSION = 1
_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class CheckpointError(ValueError):
    """A file that is not a readable micrograd_lite checkpoint (corrupt, truncated or of another format)."""


def _encode(x):
    return x if math.isfinite(x) else ("nan" if math.isnan(x) else ("inf" if x > 0 else "-inf"))


def save(module, path):
    """Write ``module.state_dict()`` to `path` (JSON) atomically. Returns `path`.

    The file is {"format": ..., "version": 1, "parameters": {name: float}}. On any error the previous file
    at `path`, if one exists, is left as it was."""
    doc = {"format": FORMAT, "version": VERSION,
           "parameters": {k: _encode(v) for k, v in module.state_dict().items()}}
    text = json.dumps(doc, indent=1, allow_nan=False)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".checkpoint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see the old file or the new one
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def load(module, path, strict=True):
    """Read a checkpoint written by `save` into `module` (via ``load_state_dict``; nothing changes on
    error). Returns `module`. Raises FileNotFoundError, CheckpointError for a corrupt file or another
    format, and nn.StateDictError when the names or values do not fit the module."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"load: {path} is corrupt or truncated (not valid JSON: {e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("parameters"), dict):
        raise CheckpointError(f"load: {path} is not a micrograd_lite checkpoint")
    if doc.get("version") != VERSION:
        raise CheckpointError(f"load: {path} has checkpoint version {doc.get('version')!r}, expected {VERSION}")
    params = {k: _SPECIAL.get(v, v) if isinstance(v, str) else v for k, v in doc["parameters"].items()}
    module.load_state_dict(params, strict=strict)
    return module
