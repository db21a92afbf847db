"""The documentation site (mkdocs.yml, docs/) and the README that leads to it.

`make test` runs this file with the rest: ``mkdocs build --strict`` must pass (a broken link, a missing page
or an API reference that no longer resolves fails it), every public name must have a docstring and an entry
in the built API pages, and the README must stay a front door (at most 200 lines) whose links resolve.
"""

import importlib
import importlib.util
import shutil
import os
import re
import subprocess
import sys
import zlib

import pytest

from conftest import IN_CI

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLIC = ["micrograd_lite", "micrograd_lite.explain", "micrograd_lite.compiler", "viz"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built by ``mkdocs build --strict`` into a temporary folder (needs the `docs` extra, and dot
    for the embedded backward page: skipped without them, a failure under CI)."""
    missing = [m for m in ("mkdocs", "material", "mkdocstrings_handlers.python", "mkdocs_jupyter")
               if importlib.util.find_spec(m.split(".")[0]) is None]
    if shutil.which("dot") is None:
        missing.append("Graphviz's dot")
    if missing:
        reason = f"the docs need {', '.join(missing)}: pip install micrograd_lite[docs] (make docs installs it)"
        if IN_CI:
            pytest.fail(f"{reason} (CI is set: a failure here, not a skip)", pytrace=False)
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _inventory(site):
    """The names in the site's objects.inv (Sphinx inventory v2: four header lines, then zlib)."""
    data = (site / "objects.inv").read_bytes()
    body = data.split(b"\n", 4)[4]
    return {line.split(" ", 1)[0] for line in zlib.decompress(body).decode().splitlines()}


def test_the_site_builds_strictly_with_every_page(site):
    for page in ("index.html", "api/engine.html", "api/explain.html", "tutorial.html", "pictures.html",
                 "pages/mazur.html"):
        assert (site / page).is_file(), page
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Where an op lives" in home and 'href="setup.html"' in home  # the README, its links into the site
    page = (site / "pages" / "mazur.html").read_text(encoding="utf-8")
    assert "E_total" in page and "<svg" in page  # the notes' network, drawn by dot into the page
    assert 'src="pages/mazur.html"' in (site / "pictures.html").read_text(encoding="utf-8")  # embedded there


def test_every_public_name_has_a_docstring_and_an_api_entry(site):
    names = _inventory(site)
    missing_doc, missing_entry = [], []
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj) or isinstance(obj, (dict, tuple, frozenset)):
                continue  # constants (MODES, KINDS...) are described by their module's docstring
            if not (obj.__doc__ or "").strip():
                missing_doc.append(f"{module_name}.{name}")
            defined = f"{obj.__module__}.{obj.__qualname__}"
            if not any(n == defined or n.endswith(f".{name}") for n in names):
                missing_entry.append(defined)
    assert not missing_doc, missing_doc
    assert not missing_entry, missing_entry


def test_the_readme_is_a_front_door():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert len(text.splitlines()) <= 200
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not target.startswith(("http://", "https://")):
            assert os.path.exists(os.path.join(ROOT, target)), f"README links to {target}, which is not there"


def test_the_readmes_code_runs(tmp_path, monkeypatch, dot):
    """Every ```python block of the README runs as printed (from a checkout: the demos importable), in a
    temporary folder for the files it writes; the derivation example's verdicts are as its comment says."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(ROOT)
    for block in blocks:
        namespace = {}
        exec(compile(block, "README.md", "exec"), namespace)
    report = namespace["check"](namespace["E_total"], {"∂E_total/∂w5": "0.0821", "∂E_total/∂w1": "-0.000439"})
    assert report["∂E_total/∂w1"].verdict == "wrong" and report["∂E_total/∂w1"].causes[0].kind == "sign"
    assert (tmp_path / "backprop.html").is_file()
