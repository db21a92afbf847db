"""demos/tutorial.ipynb: stored without outputs, it runs top to bottom in a fresh kernel (nbclient), its picture
cells give inline SVG (image/svg+xml), and its numbers are the notes'. Takes the `dot` fixture: the pictures
are drawn by Graphviz's dot."""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "demos" / "tutorial.ipynb"


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


@pytest.mark.usefixtures("dot")
def test_notebook_runs_and_draws_its_pictures(tmp_path, monkeypatch):
    # A copy runs in tmp_path (the page it writes lands there); the kernel, a child process, finds `demos`
    # through PYTHONPATH as the notebook's own path fix would from demos/.
    shutil.copy(NOTEBOOK, tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    nb = nbformat.read(tmp_path / NOTEBOOK.name, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    code = [c for c in nb.cells if c.cell_type == "code"]
    pictures = [c for c in code if "draw_dot(" in c.source.splitlines()[-1]]
    assert len(pictures) == 2
    for cell in pictures:
        svg = [o["data"]["image/svg+xml"] for o in cell.outputs if "image/svg+xml" in o.get("data", {})]
        assert len(svg) == 1 and "<svg" in svg[0], cell.source
    assert ">w1</text>" in svg[0] and "#d62728" in svg[0]  # the network, w1's paths in red

    text = "\n".join(o.get("text", "") for c in code for o in c.outputs)
    assert "grad dL/da =   6.0" in text
    assert "dE_total/dw5: backward() 0.082167041   hand 0.082167041   published 0.082167041" in text
    assert "             = 0.000438568" in text  # the chain rule for w1
    assert "decimal-shift" in text  # check() names the slip behind net_h1 = 0.44
    assert "step 1000  E_total 0.001114" in text
    assert (tmp_path / "mazur_backward.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
