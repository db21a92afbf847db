"""`make setup`: Graphviz's `dot` program, then a virtual environment in .venv with the package and all its extras.

Every make target runs this first; when everything is in place it checks and prints nothing. It runs on
the system's python3 (any Python 3.6 or later can run it, so a too-old one gets a clear message, not a
syntax error), in three steps:

1. Graphviz's `dot` (a system program; only pictures need it: the rendering tests and the demos' graphs).
   When it is not on PATH: `apt-get install graphviz` on Debian/Ubuntu (as root, or through sudo),
   `brew install graphviz` on macOS. When that is impossible or fails, setup goes on and prints what is
   missing and how to install it; the rendering tests are then skipped with that reason (under CI=true
   they fail) and the demos say they drew nothing.
2. The interpreter: `--python` (`make PYTHON=python3.12`), else the first of python3, python3.13 ...
   python3.10 on PATH that is Python >= 3.10. None: the message says which were found and how to install one.
3. .venv is kept when its python runs as the chosen interpreter and its stamp file .venv/.installed (written
   last, once pip has finished) names that interpreter and the hash of setup.cfg and pyproject.toml. A .venv
   made by another interpreter, or whose python no longer runs, or left without a stamp by an interrupted
   or failed install, is deleted and built again; changed dependencies are reinstalled in place.

`--chromium` (`make test` passes it) also installs Chromium the way step 1 installs Graphviz, `apt-get install
chromium`, for the browser tests of viz.backward_page's page (tests/test_page.py); missing, those tests are
skipped with the reason (under CI=true they fail). The other targets do not need it and do not install it.

`--check` only says whether .venv would be kept (exit 0) or rebuilt and why (exit 1), changing nothing.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys

MIN_PYTHON = (3, 10)
CANDIDATES = ("python3", "python3.13", "python3.12", "python3.11", "python3.10")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAMP = ".installed"
# What identifies an interpreter: its version and the real path of the interpreter it runs on (for a venv,
# the one it was made from), so a .venv made by any other Python is recognised.
WHO_AM_I = ("import os, sys; print(sys.version.split()[0], "
            "os.path.realpath(getattr(sys, '_base_executable', None) or sys.executable))")
GRAPHVIZ_INSTALL = [
    ("Debian/Ubuntu", "sudo apt-get install graphviz"),
    ("macOS", "brew install graphviz"),
    ("Windows", "the installer from https://graphviz.org/download/, then add its bin folder to PATH"),
]
# Playwright's own browser download is not used (it is not reachable everywhere): the system's Chromium is.
CHROMIUM_INSTALL = [
    ("Debian", "sudo apt-get install chromium"),
    ("Ubuntu", "sudo apt-get install chromium-browser (or Chromium from https://www.chromium.org/getting-involved/download-chromium/)"),
    ("macOS", "brew install --cask chromium, then link its binary onto PATH as chromium"),
]
PYTHON_INSTALL = [
    ("Debian/Ubuntu", "sudo apt-get install python3 python3-venv (Debian 12 and Ubuntu 22.04 have 3.10 or later)"),
    ("macOS", "brew install python@3.12"),
    ("Windows", "the installer from https://www.python.org/downloads/"),
]
# Settings that make pip's output a new user's: the build backend's notice that an editable install maps
# the package folders (an 11-line box that looks like an error) is not shown.
QUIET_EDITABLE = "ignore:Editable installation:UserWarning"


class SetupError(Exception):
    """A step that cannot go on; its message says what to do."""


def say(text=""):
    print(text, flush=True)


def how_to(title, rows):
    width = max(len(name) for name, _ in rows) + 1
    return "\n".join([title] + [f"  {name + ':':<{width}} {what}" for name, what in rows])


# ---- 1. Graphviz ------------------------------------------------------------------------------------------
def ensure_graphviz():
    """Install Graphviz when `dot` is not on PATH and it can be done; otherwise print what is missing and how
    to install it. Returns True when `dot` is on PATH at the end. Never raises for a failed install."""
    def install():
        if sys.platform == "darwin" and shutil.which("brew"):
            say("setup: installing Graphviz (dot) with Homebrew")
            return _run_install([["brew", "install", "graphviz"]])
        return apt_install(["graphviz"])
    return _ensure_program(lambda: shutil.which("dot"), install, "Graphviz", "`dot` is", missing_dot_message)


def chromium_path():
    """Chromium's path on PATH (``chromium``, Debian's name, or ``chromium-browser``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def ensure_chromium():
    """`make test` (``--chromium``): install Chromium, which only the page tests need (tests/test_page.py
    drives viz.backward_page's HTML in it), when it is not on PATH and apt-get can; otherwise print what is
    missing and how to install it. Returns True when it is on PATH at the end. Never raises."""
    return _ensure_program(chromium_path, lambda: apt_install(["chromium"]), "Chromium",
                           "neither `chromium` nor `chromium-browser` is", missing_chromium_message)


def _ensure_program(find, install, name, not_found, missing_message):
    """`find()` (a path or None) after `install()` (None on success, else why it failed) when needed; prints
    `missing_message(why)` when it is still missing. Returns whether the program is there at the end."""
    if find():
        return True
    why = install()
    if find():
        say(f"setup: {name} installed ({find()})")
        return True
    if why is None:
        why = f"the install finished but {not_found} still not on PATH (PATH=" + os.environ.get("PATH", "") + ")"
    say(missing_message(why))
    return False


def missing_chromium_message(why):
    """What `setup --chromium` prints when Chromium is missing: `why`, how to install it, what still works."""
    return "\n".join([
        f"setup: Chromium is missing: {why}.",
        how_to("Install it (the tests look for `chromium` or `chromium-browser` on PATH):", CHROMIUM_INSTALL),
        "Setup goes on without it: only the browser tests of viz.backward_page's page need it; they are",
        "skipped with this reason (under CI=true they fail).",
    ])


def missing_dot_message(why):
    """What `setup` prints when `dot` is missing: `why` (what was tried), how to install it on each system,
    and what works without it."""
    return "\n".join([
        f"setup: Graphviz's `dot` program is missing: {why}.",
        how_to("Install it (then nothing else is needed: dot is looked up on PATH when a picture is drawn):",
               GRAPHVIZ_INSTALL),
        "Setup goes on without it: everything but pictures works; the demos say they drew none, and the",
        "rendering tests are skipped with this reason (under CI=true they fail).",
    ])


def apt_install(packages):
    """`apt-get install -y packages` as root or through sudo. Returns None when apt-get succeeded, else why
    nothing was installed (a str)."""
    if not shutil.which("apt-get"):
        return "no package manager this setup knows was found (apt-get, or Homebrew on macOS)"
    if _euid() == 0:
        sudo = []
    elif shutil.which("sudo"):
        # A password prompt only when someone can answer it; otherwise sudo fails at once.
        sudo = ["sudo"] if sys.stdin.isatty() else ["sudo", "-n"]
    else:
        return "installing it needs root, and this user is not root and has no sudo"
    say(f"setup: installing {' '.join(packages)} with apt-get")
    return _run_install([sudo + ["apt-get", "update", "-qq"],
                         sudo + ["apt-get", "install", "-y", "-qq", *packages]],
                        env={"DEBIAN_FRONTEND": "noninteractive"})


def _euid():
    return os.geteuid() if hasattr(os, "geteuid") else -1


def _run_install(commands, env=None):
    """Run `commands` in turn; None when all succeed, else which one failed and its last line of output."""
    for cmd in commands:
        try:
            done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                                  env=dict(os.environ, **(env or {})))
        except OSError as e:
            return f"`{' '.join(cmd)}` could not run ({e.strerror})"
        if done.returncode != 0:
            lines = [line for line in done.stdout.splitlines() if line.strip()]
            last = f": {lines[-1].strip()}" if lines else ""
            return f"`{' '.join(cmd)}` failed (exit {done.returncode}){last}"
    return None


# ---- 2. the interpreter -----------------------------------------------------------------------------------
def identify(python):
    """``(version tuple, 'X.Y.Z /real/path')`` of the interpreter `python` (a path or a name on PATH), or
    None when it does not run."""
    try:
        done = subprocess.run([python, "-c", WHO_AM_I], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              universal_newlines=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    ident = done.stdout.strip()
    version = tuple(int(p) for p in ident.split()[0].split(".")[:2] if p.isdigit())
    return version, ident


def choose_python(explicit=None):
    """``(path, identity)`` of the interpreter to build .venv with: `explicit`, else the first of
    `CANDIDATES` that is Python >= 3.10. Raises SetupError naming what was found and how to install one."""
    found = []
    for name in [explicit] if explicit else CANDIDATES:
        path = shutil.which(name)
        info = identify(path) if path else None
        if info is None:
            found.append(f"{name}: {'not found' if path is None else 'does not run'}")
        elif info[0] >= MIN_PYTHON:
            return path, info[1]
        else:
            found.append(f"{name}: Python {info[1].split()[0]}")
    raise SetupError("\n".join([
        "setup: micrograd_lite needs Python {}.{} or later; found {}.".format(*MIN_PYTHON, "; ".join(found)),
        how_to("Install one:", PYTHON_INSTALL),
        "then run make again (or name it: make PYTHON=/path/to/python3.12). Nothing was created.",
    ]))


# ---- 3. the virtual environment -------------------------------------------------------------------------
def venv_python(venv):
    return os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")


def stamp_text(identity):
    """The stamp: the interpreter's identity and a hash of the files that declare the dependencies."""
    digest = hashlib.sha256()
    for name in ("setup.cfg", "pyproject.toml"):
        with open(os.path.join(ROOT, name), "rb") as f:
            digest.update(f.read())
    return f"python {identity}\ndependencies {digest.hexdigest()[:16]}\n"


def venv_state(venv, identity):
    """``(action, reason)`` for `venv` and the chosen interpreter's `identity`: action ``'keep'``,
    ``'install'`` (reinstall the package into it) or ``'rebuild'`` (delete it and start again)."""
    if not os.path.exists(venv):
        return "rebuild", f"no {venv} yet"
    info = identify(venv_python(venv))
    if info is None:
        return "rebuild", f"{venv} has no working python (an interrupted setup, or its interpreter is gone)"
    if info[1] != identity:
        return "rebuild", f"{venv} was made by another interpreter, {info[1]}; this setup uses {identity}"
    try:
        with open(os.path.join(venv, STAMP)) as f:
            stamp = f.read()
    except OSError:
        return "rebuild", f"{venv} is a half-finished install (no {STAMP} stamp: its setup did not finish)"
    if stamp != stamp_text(identity):
        return "install", "setup.cfg or pyproject.toml changed since it was installed"
    return "keep", f"{venv} is up to date"


def build_venv(python, identity, venv, action):
    """Create `venv` with `python` (when `action` is 'rebuild', deleting what is there first), install the
    package with all extras, then write the stamp. Raises SetupError when a step fails; the stamp is then
    missing, so the next run starts again."""
    vpy = venv_python(venv)
    if action == "rebuild":
        if os.path.exists(venv):
            shutil.rmtree(venv)
        say(f"setup: creating {venv} with {python} (Python {identity.split()[0]})")
        _step([python, "-m", "venv", venv], venv_hint(identity))
    elif os.path.exists(os.path.join(venv, STAMP)):
        os.remove(os.path.join(venv, STAMP))  # until pip has finished
    warnings = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), QUIET_EDITABLE]))
    say('setup: installing micrograd_lite with its extras (pip install -e ".[dev]")')
    _step([vpy, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    _step([vpy, "-m", "pip", "install", "-q", "-e", ".[dev]"], env={"PYTHONWARNINGS": warnings})
    with open(os.path.join(venv, STAMP), "w") as f:
        f.write(stamp_text(identity))
    say(f"setup: done ({venv}, Python {identity.split()[0]})")


def venv_hint(identity):
    """How to get the venv module on Debian/Ubuntu, whose Python ships without it."""
    major_minor = ".".join(identity.split()[0].split(".")[:2])
    return (f"on Debian/Ubuntu the venv module is a package of its own: sudo apt-get install "
            f"python{major_minor}-venv")


def _step(cmd, hint=None, env=None):
    done = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, **(env or {})))
    if done.returncode != 0:
        raise SetupError(f"setup: `{' '.join(cmd)}` failed (exit {done.returncode})"
                         + (f"; {hint}" if hint else "")
                         + ". Run make again once that is fixed: an unfinished .venv is rebuilt.")


def ensure_venv_module(python, identity):
    """Debian's and Ubuntu's Python has no ensurepip until the pythonX.Y-venv package is installed: install
    it with apt-get when that is possible (as for Graphviz)."""
    if subprocess.run([python, "-c", "import ensurepip, venv"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode == 0:
        return
    major_minor = ".".join(identity.split()[0].split(".")[:2])
    why = apt_install([f"python{major_minor}-venv"])
    if why is not None:
        raise SetupError(f"setup: {python} has no venv module and it was not installed: {why}; "
                         f"{venv_hint(identity)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", help="the interpreter for .venv (default: python3, or python3.13 ... python3.10)")
    ap.add_argument("--venv", default=".venv", help="where the virtual environment goes (default .venv)")
    ap.add_argument("--check", action="store_true", help="only say whether .venv would be kept or rebuilt")
    ap.add_argument("--chromium", action="store_true",
                    help="also install Chromium when it is missing (make test: the page tests drive it)")
    args = ap.parse_args(argv)
    os.chdir(ROOT)
    try:
        python, identity = choose_python(args.python)
        action, reason = venv_state(args.venv, identity)
        if args.check:
            say(f"{action}: {reason}")
            return 0 if action == "keep" else 1
        ensure_graphviz()
        if args.chromium:
            ensure_chromium()
        if action != "keep":
            say(f"setup: {reason}")
            if action == "rebuild":
                ensure_venv_module(python, identity)
            build_venv(python, identity, args.venv, action)
    except SetupError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
