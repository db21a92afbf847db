"""scripts/bootstrap.py (`make setup`) and the packaging: setup goes on without Graphviz's dot and says how to
install it, a .venv made by another interpreter or left half-installed is rebuilt, a too-old Python gets a
message and no .venv; the rendering tests skip without dot (and fail under CI); the wheel carries the
LICENSE; `import viz` without graphviz names the extra.

Nothing here installs anything: apt-get, sudo and other interpreters are small fake programs on a PATH
that lacks the real ones (and lacks dot)."""

import configparser
import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "bootstrap.py"


@pytest.fixture(scope="module")
def bootstrap():
    spec = importlib.util.spec_from_file_location("bootstrap", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_program(folder, name, script):
    """An executable `folder/name` running the shell `script`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bare_path(tmp_path, monkeypatch):
    """PATH set to one empty folder (no dot, apt-get, sudo or brew); returns the folder, to put fakes in."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


# ---- Graphviz ---------------------------------------------------------------------------------------------
def assert_says_how_to_install(out):
    assert "setup: Graphviz's `dot` program is missing" in out
    for line in ("Debian/Ubuntu: sudo apt-get install graphviz", "macOS:         brew install graphviz",
                 "Windows:       the installer from https://graphviz.org/download/"):
        assert line in out
    assert "rendering tests are skipped with this reason (under CI=true they fail)" in out


def test_no_dot_no_root_no_sudo_goes_on_and_says_how_to_install(bootstrap, bare_path, monkeypatch, capsys):
    fake_program(bare_path, "apt-get", "echo apt-get must not run >&2; exit 1")
    monkeypatch.setattr(bootstrap, "_euid", lambda: 1000)
    assert bootstrap.ensure_graphviz() is False
    out = capsys.readouterr().out
    assert_says_how_to_install(out)
    assert "installing it needs root, and this user is not root and has no sudo" in out


def test_failing_apt_get_is_quoted_and_setup_goes_on(bootstrap, bare_path, monkeypatch, capsys):
    fake_program(bare_path, "apt-get", "echo 'E: Could not get lock /var/lib/dpkg/lock-frontend' >&2; exit 100")
    monkeypatch.setattr(bootstrap, "_euid", lambda: 0)
    assert bootstrap.ensure_graphviz() is False
    out = capsys.readouterr().out
    assert "setup: installing graphviz with apt-get" in out
    assert ("`apt-get update -qq` failed (exit 100): E: Could not get lock /var/lib/dpkg/lock-frontend"
            in out)
    assert_says_how_to_install(out)


def test_sudo_is_used_when_not_root(bootstrap, bare_path, monkeypatch, capsys):
    log = bare_path / "log"
    fake_program(bare_path, "sudo", f'echo "$@" >> {log}; exit 1')
    fake_program(bare_path, "apt-get", "exit 0")
    monkeypatch.setattr(bootstrap, "_euid", lambda: 1000)
    assert bootstrap.ensure_graphviz() is False
    assert "apt-get update -qq" in log.read_text()  # through sudo (with -n when nobody can type a password)
    assert "`sudo " in capsys.readouterr().out


def test_apt_get_that_succeeds_without_giving_dot_is_reported(bootstrap, bare_path, monkeypatch, capsys):
    fake_program(bare_path, "apt-get", "exit 0")
    monkeypatch.setattr(bootstrap, "_euid", lambda: 0)
    assert bootstrap.ensure_graphviz() is False
    out = capsys.readouterr().out
    assert "the install finished but `dot` is still not on PATH (PATH=" in out
    assert_says_how_to_install(out)


def test_apt_get_that_installs_dot(bootstrap, bare_path, monkeypatch, capsys):
    fake_program(bare_path, "apt-get", f"printf '#!/bin/sh\\n' > {bare_path}/dot; /bin/chmod +x {bare_path}/dot")
    monkeypatch.setattr(bootstrap, "_euid", lambda: 0)
    assert bootstrap.ensure_graphviz() is True
    assert capsys.readouterr().out.splitlines()[-1] == f"setup: Graphviz installed ({bare_path}/dot)"


def test_dot_on_path_means_nothing_to_do(bootstrap, bare_path, capsys):
    fake_program(bare_path, "dot", "exit 0")
    fake_program(bare_path, "apt-get", "echo apt-get must not run; exit 1")
    assert bootstrap.ensure_graphviz() is True
    assert capsys.readouterr().out == ""


# ---- Chromium (make test: --chromium) ------------------------------------------------------------------------
def test_apt_get_that_installs_chromium(bootstrap, bare_path, monkeypatch, capsys):
    log = bare_path / "log"
    fake_program(bare_path, "apt-get", f'echo "$@" >> {log}; '
                                       f"printf '#!/bin/sh\\n' > {bare_path}/chromium; /bin/chmod +x {bare_path}/chromium")
    monkeypatch.setattr(bootstrap, "_euid", lambda: 0)
    assert bootstrap.ensure_chromium() is True
    assert "install -y -qq chromium" in log.read_text()
    out = capsys.readouterr().out.splitlines()
    assert out == ["setup: installing chromium with apt-get", f"setup: Chromium installed ({bare_path}/chromium)"]


def test_failing_chromium_install_says_how_and_goes_on(bootstrap, bare_path, monkeypatch, capsys):
    fake_program(bare_path, "apt-get", "echo 'E: Unable to locate package chromium' >&2; exit 100")
    monkeypatch.setattr(bootstrap, "_euid", lambda: 0)
    assert bootstrap.ensure_chromium() is False
    out = capsys.readouterr().out
    assert "setup: Chromium is missing: `apt-get update -qq` failed (exit 100): E: Unable to locate package" in out
    assert "Debian: sudo apt-get install chromium" in out
    assert "skipped with this reason (under CI=true they fail)" in out


def test_chromium_browser_on_path_means_nothing_to_do(bootstrap, bare_path, capsys):
    fake_program(bare_path, "chromium-browser", "exit 0")
    fake_program(bare_path, "apt-get", "echo apt-get must not run; exit 1")
    assert bootstrap.ensure_chromium() is True
    assert capsys.readouterr().out == ""


def test_only_the_chromium_option_installs_chromium(bootstrap, tmp_path, this_python):
    """The whole script with a fake apt-get whose install logs its packages and fails: `make setup` asks for
    graphviz only, `make test` (--chromium) for chromium too, and both finish. (A fake sudo runs its command,
    for when the tests do not run as root.)"""
    venv = real_venv(bootstrap, tmp_path, this_python)
    bin_, log = tmp_path / "bin", tmp_path / "log"
    fake_program(bin_, "apt-get", f'[ "$1" = install ] || exit 0; echo "$@" >> {log}; exit 100')
    fake_program(bin_, "sudo", '[ "$1" = -n ] && shift; exec "$@"')
    for extra, wanted in (([], ["graphviz"]), (["--chromium"], ["graphviz", "chromium"])):
        log.write_text("")
        done = subprocess.run([sys.executable, str(SCRIPT), "--python", sys.executable, "--venv", str(venv),
                               *extra], capture_output=True, text=True, env={**os.environ, "PATH": str(bin_)})
        assert done.returncode == 0, done.stderr
        assert [line.split()[-1] for line in log.read_text().splitlines()] == wanted
        assert ("setup: Chromium is missing" in done.stdout) == bool(extra)


@pytest.mark.parametrize("ci", ["", "true"])
def test_browser_tests_skip_without_chromium_and_fail_under_ci(tmp_path, ci):
    fake_program(tmp_path, "dot", "exit 0")  # the page tests also need dot: it is found, Chromium is not
    env = {**os.environ, "PATH": str(tmp_path), "CI": ci}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                           "tests/test_page.py::test_play_runs_steps_by_itself_and_pauses"],
                          cwd=ROOT, capture_output=True, text=True, env=env)
    assert "Chromium is not on PATH: Debian/Ubuntu `sudo apt-get install chromium`" in done.stdout
    if ci:
        assert done.returncode == 1 and "1 error" in done.stdout
        assert "CI is set: this is a failure here, not a skip" in done.stdout
    else:
        assert done.returncode == 0 and "1 skipped" in done.stdout


# ---- the interpreter and .venv ----------------------------------------------------------------------------
def fake_python(folder, version, where):
    """A fake interpreter answering the identity question as Python `version` at `where`."""
    return fake_program(folder, "python", f'echo "{version} {where}"')


@pytest.fixture
def this_python(bootstrap):
    return bootstrap.identify(sys.executable)[1]


def real_venv(bootstrap, tmp_path, identity, stamp=True):
    """A folder that passes for a .venv of this interpreter: bin/python is the interpreter itself."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(identity.split(" ", 1)[1])
    if stamp:
        (venv / ".installed").write_text(bootstrap.stamp_text(identity))
    return venv


def test_identity_is_version_and_real_path(bootstrap, this_python):
    version, path = this_python.split(" ", 1)
    assert version == ".".join(map(str, sys.version_info[:3]))
    assert os.path.isabs(path) and os.path.realpath(path) == path


def test_venv_of_this_interpreter_with_its_stamp_is_kept(bootstrap, tmp_path, this_python):
    venv = real_venv(bootstrap, tmp_path, this_python)
    assert bootstrap.venv_state(str(venv), this_python) == ("keep", f"{venv} is up to date")


def test_venv_made_by_another_interpreter_is_rebuilt(bootstrap, tmp_path, this_python):
    venv = tmp_path / "venv"
    fake_python(venv / "bin", "3.9.18", "/opt/python3.9/bin/python3.9")
    (venv / ".installed").write_text(bootstrap.stamp_text("3.9.18 /opt/python3.9/bin/python3.9"))
    action, reason = bootstrap.venv_state(str(venv), this_python)
    assert action == "rebuild"
    assert reason == (f"{venv} was made by another interpreter, 3.9.18 /opt/python3.9/bin/python3.9; "
                      f"this setup uses {this_python}")


def test_half_finished_install_is_rebuilt(bootstrap, tmp_path, this_python):
    venv = real_venv(bootstrap, tmp_path, this_python, stamp=False)  # pip stopped before the stamp
    assert bootstrap.venv_state(str(venv), this_python) == (
        "rebuild", f"{venv} is a half-finished install (no .installed stamp: its setup did not finish)")
    (venv / "bin" / "python").unlink()  # e.g. `python -m venv` itself failed
    action, reason = bootstrap.venv_state(str(venv), this_python)
    assert action == "rebuild" and "has no working python" in reason


def test_changed_dependencies_are_reinstalled_in_place(bootstrap, tmp_path, this_python):
    venv = real_venv(bootstrap, tmp_path, this_python)
    (venv / ".installed").write_text(f"python {this_python}\ndependencies 0000000000000000\n")
    assert bootstrap.venv_state(str(venv), this_python)[0] == "install"
    (venv / ".installed").write_text("")  # the stamp of the old Makefile (`touch`)
    assert bootstrap.venv_state(str(venv), this_python)[0] == "install"


def test_check_reports_without_changing_anything(tmp_path, this_python):
    venv = tmp_path / "venv"
    fake_python(venv / "bin", "3.12.1", "/opt/python3.12/bin/python3.12")
    done = subprocess.run([sys.executable, str(SCRIPT), "--python", sys.executable, "--venv", str(venv),
                           "--check"], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stdout.startswith(f"rebuild: {venv} was made by another interpreter, 3.12.1 ")
    assert sorted(p.name for p in venv.iterdir()) == ["bin"]


def test_too_old_python_gets_a_message_and_no_venv(tmp_path):
    old = fake_python(tmp_path / "old", "3.9.18", "/opt/python3.9/bin/python3.9")
    venv = tmp_path / "venv"
    done = subprocess.run([sys.executable, str(SCRIPT), "--python", str(old), "--venv", str(venv)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.startswith(f"setup: micrograd_lite needs Python 3.10 or later; found {old}: "
                                  "Python 3.9.18.\nInstall one:\n  Debian/Ubuntu:")
    assert "make PYTHON=/path/to/python3.12" in done.stderr and "Traceback" not in done.stderr
    assert not venv.exists()


def test_a_too_old_python3_falls_back_to_a_newer_one(bootstrap, bare_path):
    fake_program(bare_path, "python3", 'echo "3.9.18 /opt/python3.9/bin/python3.9"')
    fake_program(bare_path, "python3.12", 'echo "3.12.1 /opt/python3.12/bin/python3.12"')
    assert bootstrap.choose_python() == (str(bare_path / "python3.12"), "3.12.1 /opt/python3.12/bin/python3.12")


def test_setup_without_dot_finishes_and_says_what_is_missing(bootstrap, tmp_path, this_python):
    """The whole script, as `make setup` runs it, on a PATH without dot whose apt-get fails."""
    venv = real_venv(bootstrap, tmp_path, this_python)
    bin_ = tmp_path / "bin"
    fake_program(bin_, "apt-get", "echo 'E: Unable to locate package graphviz' >&2; exit 100")
    done = subprocess.run([sys.executable, str(SCRIPT), "--python", sys.executable, "--venv", str(venv)],
                          capture_output=True, text=True, env={**os.environ, "PATH": str(bin_)})
    assert done.returncode == 0, done.stderr
    assert_says_how_to_install(done.stdout)
    assert "Traceback" not in done.stdout + done.stderr


# ---- the test suite without dot ---------------------------------------------------------------------------
@pytest.mark.parametrize("ci", ["", "true"])
def test_rendering_tests_skip_without_dot_and_fail_under_ci(tmp_path, ci):
    env = {**os.environ, "PATH": str(tmp_path), "CI": ci}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                           "tests/test_viz.py::test_labels_with_record_syntax_are_shown_verbatim",
                           "tests/test_viz.py::test_options"],
                          cwd=ROOT, capture_output=True, text=True, env=env)
    reason = "Graphviz's `dot` program is not on PATH: install Graphviz"
    assert reason in done.stdout
    if ci:
        assert done.returncode == 1 and "1 passed, 1 error" in done.stdout
        assert "CI is set: a missing dot is a failure here, not a skip" in done.stdout
    else:
        assert done.returncode == 0 and "1 passed, 1 skipped" in done.stdout


# ---- packaging ----------------------------------------------------------------------------------------------
def test_dev_extra_lists_each_package_once():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    extras = cfg["options.extras_require"]
    dev = [line.strip() for line in extras.get("dev", raw=False).splitlines() if line.strip()]
    names = [line.split(">")[0].split("=")[0] for line in dev]
    assert len(names) == len(set(names)), dev
    for extra in ("test", "viz", "fast", "demos", "bench"):  # and still everything
        for line in extras.get(extra).split():
            assert line.split(">")[0].split("=")[0] in names


def test_import_micrograd_lite_reaches_explain():
    done = subprocess.run([sys.executable, "-c", "import micrograd_lite; print(micrograd_lite.explain.chain_rule)"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and "function chain_rule" in done.stdout, done.stderr


def test_import_viz_without_graphviz_names_the_extra():
    code = "import sys; sys.modules['graphviz'] = None; import viz"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == ("ModuleNotFoundError: viz needs the graphviz package: pip install micrograd_lite[viz] "
                    "(or pip install graphviz)")


def test_wheel_carries_the_license(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("micrograd_lite-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert z.read("micrograd_lite-0.1.0.dist-info/licenses/LICENSE").decode().startswith("MIT License")
        metadata = z.read("micrograd_lite-0.1.0.dist-info/METADATA").decode()
    assert "License: MIT" in metadata and "License-File: LICENSE" in metadata
