"""Every demo's output fits the terminal: at COLUMNS=80 and COLUMNS=100, no line of stdout or stderr (a progress
bar's redraws included) is wider than COLUMNS. The demos run as a user runs them, in a subprocess."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DEMOS = Path(__file__).resolve().parent.parent / "demos"
WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail", "emily",
         "ella", "elizabeth", "camila", "luna", "sofia", "avery", "mila", "aria", "scarlett"] * 3

RUNS = {
    "mazur": ["mazur.py", "--no-graph", "--steps", "100"],
    "mazur --trace": ["mazur.py", "--trace"],
    "mazur --code": ["mazur.py", "--code"],
    "mazur --hessian": ["mazur.py", "--hessian"],
    "mazur --sequential": ["mazur.py", "--no-graph", "--steps", "20", "--sequential", "--train-biases"],
    "truth_table": ["truth_table.py", "--no-graph", "--steps", "300"],
    "truth_table --explain": ["truth_table.py", "--no-graph", "--steps", "300", "--explain", "0,1"],
    "truth_table --weights notes": ["truth_table.py", "--no-graph", "--steps", "300", "--weights", "notes",
                                    "--explain", "0,0"],
    "moons": ["moons.py", "--steps", "3", "--points", "30"],
    "makemore": ["makemore.py", "--data", "{names}", "--steps", "60", "--hidden", "4", "--eval-every", "30"],
}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("name", list(RUNS))
def test_demo_output_fits_the_terminal(name, columns, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(WORDS) + "\n")
    argv = [a.format(names=names) for a in RUNS[name]]
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(DEMOS.parent)}
    done = subprocess.run([sys.executable, str(DEMOS / argv[0]), *argv[1:]], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    lines = [ANSI.sub("", line) for line in re.split(r"[\r\n]", done.stdout + "\n" + done.stderr)]
    assert len([line for line in lines if line.strip()]) >= 3, (done.stdout, done.stderr)
    widest = max(lines, key=len)
    assert len(widest) <= columns, widest
