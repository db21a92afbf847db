"""Saving and restoring a module's parameters as JSON, exactly and atomically.

Floats are written with ``repr`` (the shortest string that reads back to the same float), so a round trip
is bit-exact, -0.0 and subnormals included. JSON has no NaN or infinity, so they are written as the strings
"inf", "-inf" and "nan"; a NaN whose bits differ from Python's ``float("nan")`` (the sign bit, set on the NaN
that x86 arithmetic such as ``inf - inf`` produces, or a payload) is written as "nan:0x" and its 16 hex
digits, so it too reads back bit for bit.
A SHA-256 checksum of the content is stored in the file and checked by `load` before the model is touched,
whatever the file's "version" entry says; a file without one is read only when it is, byte for byte, a
version 1 file (written before checksums existed), with a `CheckpointWarning` that it is unverified.
A checkpoint is written to a temporary file in the same folder, flushed to disk, and renamed over the
target, so a crash, a ``kill -9`` or a full disk leaves the previous file intact, never a half-written one;
the next `save` to the same path removes a temporary file that a killed process left.
"""

import errno
import hashlib
import json
import math
import os
import secrets
import stat
import struct
import warnings

try:
    import fcntl  # POSIX: a save holds a lock on its temporary file, so the next save can tell it is live
except ImportError:  # Windows: a file open in another process cannot be removed, which does the same
    fcntl = None

__all__ = ["save", "load", "CheckpointError", "CheckpointWarning"]

FORMAT = "micrograd_lite.checkpoint"
VERSION = 2  # 2 added the "sha256" entry; version 1 files are still read
_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_NAN_BITS = struct.unpack("<Q", struct.pack("<d", math.nan))[0]


class CheckpointError(ValueError):
    """A file that is not a readable micrograd_lite checkpoint (corrupt, truncated or of another format)."""


class CheckpointWarning(UserWarning):
    """`load` read a version 1 checkpoint, which has no checksum: its content could not be verified."""


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

    The file is ``{"format": "micrograd_lite.checkpoint", "version": 2, "sha256": digest, "parameters":
    {name: float}}``, where `digest` is the SHA-256 of the same document without its "sha256" entry, in
    the same layout (`load` checks it, so any change to the file is detected).

    Like ``open(path, "w")``: a symbolic link is written through (its target gets the new content, the link
    stays), an existing file keeps its permission bits, and a new file gets 0o666 less the umask.
    The text goes to a temporary file in the same folder, is flushed to disk, renamed over the target, and
    the folder is flushed too, so the rename survives a power cut. On any error before the rename (a full
    disk, an interrupt) the previous file is left as it was and the temporary file is removed; if the
    process is killed instead, at any moment, its temporary file (``.mglite-<hash>-<pid>-<random>.tmp``, a
    short name whatever the length of `path`'s) is removed by the next `save` to the same path: a save holds
    a lock on its temporary file (POSIX ``flock``), which the kernel drops when the process dies, and the
    next save removes the unlocked ones (where there are no locks: those of processes that are gone).
    Raises IsADirectoryError when `path` is a folder, FileNotFoundError when its folder does not exist, and
    OSError from the file system (including, after the rename, from flushing the folder)."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path} is a folder; give a file name")
    target = _resolve(path)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: folder {folder} does not exist")
    params = {k: _encode(v) for k, v in module.state_dict().items()}
    data = _render(params, hashlib.sha256(_render(params, None)).hexdigest())
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    prefix = _temporary_prefix(target)
    _remove_stale(folder, prefix)
    tmp = fd = None
    try:
        # Created inside the try, so an interrupt at any point after the name is chosen removes the file.
        while fd is None:
            tmp = os.path.join(folder, f"{prefix}{os.getpid()}-{secrets.token_hex(4)}.tmp")
            try:
                # 0o666 less the umask, as open(path, "w") gives; O_EXCL: the file is new.
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            except FileExistsError:
                tmp = None
                continue
            if not _lock(fd):  # another save's cleanup took it in the instant before the lock: a new name
                os.close(fd)
                fd = tmp = None
        # The descriptor stays open, and so locked, until the rename is done (closefd=False).
        with os.fdopen(fd, "wb", closefd=False) as f:
            if mode is not None:
                _chmod(f.fileno(), tmp, mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename, so the rename never exposes an empty file
        if fcntl is None:  # Windows renames no file that is open
            os.close(fd)
            fd = None
        os.replace(tmp, target)  # atomic on POSIX and Windows: readers see the old file or the new one
        tmp = None
    except BaseException:
        if fd is not None:
            os.close(fd)
            fd = None
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:  # already gone; the original error is the one to report
                pass
        raise
    finally:
        if fd is not None:
            os.close(fd)
    _sync_folder(folder)
    return path


def _render(params, digest):
    """The file's bytes: the document in `save`'s layout, with a "sha256" entry when `digest` is not None
    (None: the payload the digest is computed over). Raises ValueError for a float JSON cannot hold."""
    doc = {"format": FORMAT, "version": VERSION}
    if digest is not None:
        doc["sha256"] = digest
    doc["parameters"] = params
    # One entry per line through the separator, not `indent`: json's C encoder, which `indent` turns off.
    return (json.dumps(doc, separators=(",\n ", ": "), allow_nan=False) + "\n").encode("ascii")


def _resolve(path):
    """The file ``open(path, "w")`` would write: `path` absolute, with its symbolic links followed."""
    target = os.path.realpath(path)
    if os.path.islink(target):  # a loop of links, which realpath leaves unresolved
        raise OSError(errno.ELOOP, "save: too many levels of symbolic links", os.fspath(path))
    return target


def _temporary_prefix(target):
    """``.mglite-<12 hex digits>-``: the start of the names of `target`'s temporary files. A hash of the
    file name rather than the name itself, so a name of up to 255 bytes, the usual limit, still works."""
    name = os.path.basename(target).encode("utf-8", "surrogateescape")
    return f".mglite-{hashlib.sha256(name).hexdigest()[:12]}-"


def _lock(fd):
    """Lock the new temporary file `fd` for the rest of its save (POSIX ``flock``). The next save's
    `_remove_stale` leaves a locked file alone and removes an unlocked one: the kernel drops the lock when the
    process ends, however it ends (``kill -9`` included), before the process is even waited for, so neither an
    unreaped (zombie) process nor a process id used again keeps a dead save's file. Returns False when the
    file was removed by such a cleanup in the instant between its creation and the lock."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits only while a cleanup holds it, a few system calls
    except OSError:  # a file system without locks: the process id in the name is all the next save has
        return True
    return os.fstat(fd).st_nlink > 0


def _remove_stale(folder, prefix):
    """Remove the temporary files that saves to the same target left when their process was killed."""
    for entry in os.scandir(folder):
        name = entry.name
        if name.startswith(prefix) and name.endswith(".tmp"):
            pid = name[len(prefix):-4].split("-")[0]
            if pid.isdigit():
                _remove_if_abandoned(entry.path, int(pid))


def _remove_if_abandoned(path, pid):
    """Remove the temporary file `path` of process `pid` unless a live save is writing it: on POSIX unless it
    is locked (see `_lock`), else (no locks there) unless the process is alive."""
    if fcntl is None:
        fd = None
    else:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # renamed or removed meanwhile
            return
        except OSError:  # e.g. a file made unreadable by the target's mode: the process id decides
            fd = None
    try:
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a live save holds it
                return
            except OSError:
                if _alive(pid):
                    return
            try:
                if not os.path.samestat(os.stat(path), os.fstat(fd)):  # the name now holds another file
                    return
            except OSError:
                return
        elif _alive(pid):
            return
        try:
            os.unlink(path)  # on POSIX while holding the lock, so a save waiting for it sees the file gone
        except OSError:  # removed by another save meanwhile, or not ours to remove
            pass
    finally:
        if fd is not None:
            os.close(fd)


def _alive(pid):
    """Whether process `pid` runs (a temporary file of a live save, maybe in another thread or process,
    must stay). Off POSIX there is no cheap test; Windows refuses to remove a file that a live save holds
    open, which `_remove_stale` relies on instead."""
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, and belongs to another user
        return True
    return True


def _chmod(fd, path, mode):
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:
        os.chmod(path, mode)


def _sync_folder(folder):
    """Flush `folder`'s entries to disk, so the rename itself survives a power cut (POSIX; Windows cannot
    open a folder, and NTFS journals renames). File systems that cannot sync a folder are skipped."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def load(module, path, strict=True):
    """Read a checkpoint written by `save` into `module` (via ``load_state_dict``; nothing changes on
    error). Returns `module`.

    A file that has a "sha256" entry must be byte for byte what `save` wrote, whatever its "version" entry
    says: the checksum is checked against the content before any parameter is read, so damage of any kind
    (a flipped bit that still parses as JSON, an edit, a version changed to 1) is refused. A file without
    one is read only when it is a genuine version 1 file (written before checksums existed): exactly the
    bytes ``json.dumps({"format": "micrograd_lite.checkpoint", "version": 1, "parameters": {...}},
    indent=1)`` of its own content, those three entries in that order and nothing else, no trailing
    newline; it is read with a `CheckpointWarning`, as damage that keeps that layout and well-formed values
    cannot be detected (save it again to add a checksum). The checksum catches corruption, truncation and
    edits made by mistake; it does not stop a deliberate edit that also recomputes it.
    Raises FileNotFoundError (no such file), IsADirectoryError (a folder), CheckpointError for a file that
    is corrupt, truncated, of another format or of version 2 without its checksum (naming the file and the
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
    if type(version) is not int or version not in (1, VERSION):
        raise CheckpointError(f"load: {path} has checkpoint version {version!r}, expected 1 or {VERSION}")
    if "sha256" in doc:  # checked whatever the version says: "version": 1 does not switch it off
        if not _intact(doc, raw):
            raise CheckpointError(f"load: {path} is corrupt: its content does not match its SHA-256 checksum "
                                  f"(the file was damaged or edited after save wrote it)")
    elif version != 1:
        raise CheckpointError(f"load: {path} is corrupt: it has no SHA-256 checksum, which every version "
                              f"{version} checkpoint carries (the file was damaged or edited after save wrote it)")
    elif not _genuine_v1(doc, raw):
        raise CheckpointError(f"load: {path} has no checksum and is not a version 1 checkpoint as save wrote "
                              f"it (json.dumps(..., indent=1) of format, version and parameters only), so its "
                              f"content cannot be verified: it was damaged or edited")
    params, bad = {}, []
    for name, v in doc["parameters"].items():
        x = _decode(v)
        if x is None:
            bad.append(f"{name}={v!r}"[:80])
        params[name] = x
    if bad:
        raise CheckpointError(f"load: {path} is corrupt: parameters that are not floats: " + ", ".join(bad))
    module.load_state_dict(params, strict=strict)
    if "sha256" not in doc:
        warnings.warn(f"load: {path} is a version 1 checkpoint, which has no checksum: its parameters were "
                      f"read unverified (save it again to add one)", CheckpointWarning, stacklevel=2)
    return module


def _genuine_v1(doc, raw):
    """Whether `raw` is exactly the file version 1's `save` wrote for `doc`'s parameters."""
    if list(doc) != ["format", "version", "parameters"]:
        return False
    try:
        return json.dumps(doc, indent=1, allow_nan=False).encode("utf-8") == raw
    except ValueError:  # a number JSON cannot write back (1e999 read as inf, a NaN literal): not save's
        return False


def _intact(doc, raw):
    """Whether `raw` is exactly the file `save` writes for `doc`'s parameters, checksum included."""
    digest = doc.get("sha256")
    if not isinstance(digest, str):
        return False
    try:
        return (_render(doc["parameters"], digest) == raw
                and hashlib.sha256(_render(doc["parameters"], None)).hexdigest() == digest)
    except ValueError:  # a number JSON cannot write back, e.g. 1e999 read as inf
        return False
