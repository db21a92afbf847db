"""Shared test setup.

Hypothesis settings profiles (used by tests/test_properties.py):
- ``ci``: derandomized (the same examples on every run, so CI is reproducible), 100 examples per test,
  no example database, failing examples printed with a ``@reproduce_failure`` blob, and no "too slow"
  health check (a CI machine's speed varies). Chosen when the environment variable ``CI`` is set
  (``.ci/run`` runs with ``CI=true``).
- ``dev``: the default locally: fresh random examples each run, 100 per test.
- ``thorough``: 2,000 random examples per test, for a longer hunt: ``HYPOTHESIS_PROFILE=thorough``.
``HYPOTHESIS_PROFILE`` names the profile explicitly and wins over ``CI``. No deadline anywhere: the
machine is shared, and these tests assert correctness, not speed.

Tests that write pictures take the ``dot`` fixture: without Graphviz's ``dot`` program on PATH they are
skipped, the reason saying how to install it; under CI (``CI`` set, and not ``0``/``false``) that is a
failure instead, so a CI run never passes without having drawn anything.
"""

import os
import shutil
import struct
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis registers a "ci" profile of its own and loads it when CI is set; this one replaces it. The
# others start from Hypothesis's defaults, not from whatever profile is loaded when this file runs.
DEFAULT = settings.get_profile("default")
settings.register_profile("ci", DEFAULT, derandomize=True, max_examples=100, deadline=None, database=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", DEFAULT, max_examples=100, deadline=None)
settings.register_profile("thorough", DEFAULT, max_examples=2000, deadline=None)
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "dev"))


@pytest.fixture(autouse=True)
def terminal_120_columns(monkeypatch):
    """Every test sees a terminal 120 columns wide (the demos fit `shutil.get_terminal_size`, which reads
    COLUMNS first), whatever terminal runs pytest; a test may set COLUMNS itself."""
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture
def dot():
    """The path of Graphviz's ``dot`` program, for tests that render. Missing: the test is skipped saying
    how to install it, or fails under CI."""
    path = shutil.which("dot")
    if path is None:
        from viz.render import INSTALL_HINT

        reason = f"Graphviz's `dot` program is not on PATH: {INSTALL_HINT}"
        if IN_CI:
            pytest.fail(f"{reason} (CI is set: a missing dot is a failure here, not a skip)", pytrace=False)
        pytest.skip(reason)
    return path


# Chromium's flags for the page tests: headless, and no network of its own (updates, sync, QUIC probes), so
# a machine without network gives no error in the console.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    """A headless Chromium driven by Playwright for Python, for tests of viz.backward_page's HTML. It is the
    system's Chromium (``chromium`` on PATH; `make setup` installs Debian's package when it can), not
    Playwright's own download. Chromium or the playwright package missing: the test is skipped saying how
    to install it, or fails under CI."""
    reasons = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reasons.append("the playwright package is missing: pip install micrograd_lite[test]")
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reasons.append("Chromium is not on PATH: Debian/Ubuntu `sudo apt-get install chromium` (make setup "
                       "does it when it can), elsewhere install Chromium and put it on PATH")
    if reasons:
        reason = "; ".join(reasons)
        if IN_CI:
            pytest.fail(f"{reason} (CI is set: this is a failure here, not a skip)", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def parameter_bits():
    """``parameter_bits(module)``: each parameter's 8 IEEE-754 bytes, in order, to compare models bit for
    bit (``==`` on floats would call -0.0 equal to 0.0 and a NaN unequal to itself)."""
    return lambda module: [struct.pack("<d", p.data) for p in module.parameters()]


@pytest.fixture
def mazur_net():
    """The notes' w1..w8 network (demos/mazur.py) after one backward(): (parameters, named nodes), two
    dicts label -> Value."""
    from demos import mazur

    p = mazur.make_params()
    nodes = mazur.forward(p)
    nodes["E_total"].backward()
    return p, nodes


@pytest.fixture
def option_error(tmp_path):
    """``option_error(demo, argv, cwd=tmp_path)``: run the demo (a module of demos/) as a user would, with
    `argv`, in `cwd`; check that it fails (exit code not 0) with nothing on stdout, no traceback and no file
    written, and return its one error line (argparse's usage lines aside)."""
    def run(demo, argv, cwd=tmp_path):
        before = sorted(os.listdir(cwd))
        done = subprocess.run([sys.executable, demo.__file__, *argv], cwd=cwd, capture_output=True, text=True)
        assert done.returncode != 0 and done.stdout == "" and "Traceback" not in done.stderr, done.stderr
        assert sorted(os.listdir(cwd)) == before
        errors = [line for line in done.stderr.splitlines() if not line.startswith(("usage:", " "))]
        assert len(errors) == 1, done.stderr
        return errors[0]
    return run
