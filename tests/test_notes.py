"""demos/notes.py: the audit of the four seed notes. --json is valid, every record has the fields and a
known verdict, every engine value is the engine's (recomputed here by claim_value), quotes are on their
lines, and the notes' best-known slips get their named cause."""

import json
import os

import pytest

from demos import notes
from micrograd_lite.explain import claim_value

# Outside CI a clone without ../shared skips these; CI has the seeds beside the clone, so there a missing
# seed is a failure, never a skip.
pytestmark = pytest.mark.skipif(not (notes.SEEDS / notes.M).is_file() and os.environ.get("CI") != "true",
                                reason=f"seed notes not in {notes.SEEDS}")


@pytest.fixture(scope="module")
def records():
    return notes.audit()


def test_json_is_one_list_of_complete_records(capsys, records):
    assert notes.main(["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert isinstance(out, list) and len(out) == len(records) >= 300
    for r in out:
        assert set(r) == {"seed", "line", "quote", "claim", "written", "engine", "verdict", "kinds", "cause"}
        assert r["verdict"] in notes.VERDICTS and isinstance(r["kinds"], list) and r["line"] >= 1
        if r["verdict"] == "wrong":
            assert r["cause"]


def test_every_engine_value_is_the_engines(records):
    a = notes.Audit()
    roots = {notes.M: [a.E], notes.C3: [a.E], notes.T1: [a.loss, *a.pred], notes.T0: [a.loss, *a.pred]}
    checked = 0
    for r in records:
        if isinstance(r["engine"], str) or "context [0, 1]" in r["cause"]:
            continue
        for root in roots[r["seed"]]:
            try:
                value = claim_value(root, r["claim"], lr=0.5)
            except KeyError:
                continue
            assert value == r["engine"], r
            checked += 1
            break
    assert checked >= 250


def test_the_notes_best_known_slips(records):
    def find(seed, line, claim):
        (r,) = [r for r in records if r["seed"] == seed and r["line"] == line and r["claim"] == claim]
        return r
    r = find(notes.M, 19, "net_h1")
    assert (r["written"], r["engine"], r["verdict"], r["kinds"]) == ("0.445", 0.3775, "wrong", ["decimal-shift"])
    assert "i1 = 0.5 for 0.05" in r["cause"]
    assert find(notes.M, 149, "w5+")["verdict"] == "truncated"
    assert find(notes.M, 468, "net_o1")["cause"].startswith("renumbered: w6 and w7 swapped")
    assert find(notes.M, 582, "∂E_o1/∂b1")["kinds"] == ["paths-multiplied"]
    assert find(notes.C3, 62, "∂E_o1/∂w1")["kinds"] == ["no-activation"]
    assert find(notes.M, 507, "∂E_total/∂w2")["kinds"] == ["renumbered"]
    assert find(notes.T1, 51, "dWO.shape")["kinds"] == ["shape"]
    assert find(notes.T0, 125, "∂loss/∂RAW[0]")["kinds"] == ["target"]
    assert find(notes.T1, 6, "HI[1]")["verdict"] == "rounding"


def test_missing_seeds_is_one_clear_line(tmp_path, capsys):
    assert notes.main(["--seeds", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "--seeds" in err and "Traceback" not in err
