"""The four seed notes, audited: every number, formula-with-a-value and some prose checked against the engine.

The notes (``shared/seeds/``, README.md there) are a learner's hand derivation with its slips. This demo
rebuilds their networks, Mazur's 2-2-2 sigmoid net with the notes' numbers (`demos/mazur.py`) and the
truth-table net from the weights printed in the notes (`demos/truth_table_net.notes_net`, 2 decimals), and
checks each number with `micrograd_lite.explain.check`: a number as written against the engine's value, a
formula evaluated as written (its factors the engine's own values and derivatives, its literal numbers
the notes') against the quantity it claims to be. Each record says:

    seed, line, quote      where the number is (the line's text, or the part of it that is checked)
    claim                  what it is checked as (a node label, ∂A/∂B, w+, or a shape)
    written                the notes' number (a formula: its value as written)
    engine                 the engine's value (a float; a str for a shape, "32 x 3 x 3", or an entry that
                           does not exist, "(none: dWO is 2 x 3)")
    verdict                given | correct | truncated | rounding | wrong
    kinds                  the slips that reproduce it (explain.check's catalogue), or one of
                           structure (a formula of the wrong form), target (the one-hot contradicts the text),
                           shape (a matrix of the wrong shape), concept (a sentence of prose that
                           contradicts the notes' own tables or the calculus; the engine's number settles it)
    cause                  a sentence

"given" marks the numbers that define a network; "rounding" a number of the truth-table net that differs
from the float64 value only because the notes print their weights to 2 decimals: the evidence is a set of
weights, each within its printed rounding (+-0.005), that reproduces the notes' digits (by continuity,
every value between is reached on the way). ``--json`` prints one JSON list of the records.

By default it prints what a learner reads on one screen: the counts by verdict and kind, and the most
instructive slip of each kind with its line; ``--all`` the full audit, by line; every line fits the
terminal's width (at least 60 columns).

Run: ``python demos/notes.py`` (``--all``, ``--json``, ``--seeds DIR``; ``--help``).
"""

import argparse
import json
import math
import os
import random
import sys
import textwrap
from pathlib import Path

from micrograd_lite import Embedding, Layer, Value, cross_entropy, softmax
from micrograd_lite.explain import check, claim_value
from micrograd_lite.explain.replay import replay
from micrograd_lite.explain.claims import agreement

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from demos import cli, mazur, truth_table_net as truth_table  # noqa: E402

SEEDS = Path(os.environ.get("SEEDS_DIR", Path(__file__).resolve().parents[2] / "shared" / "seeds"))
M, C3, T1, T0 = ("004_7e7d1ebaee39c00c.txt", "003_e6819feadf4f2369.txt", "001_818539889c24189a.txt",
                 "000_fdd78fc64cd7f905.txt")
VERDICTS = ("given", "correct", "truncated", "rounding", "wrong")
ROUNDING = 0.005  # the notes print the truth-table weights to 2 decimals


class SeedsMissing(FileNotFoundError):
    pass


class Audit:
    """The networks and the records. `seeds`: the directory of the four notes (read for the quotes, each
    checked against its line)."""

    def __init__(self, seeds=SEEDS):
        self.lines = {}
        for name in (M, C3, T1, T0):
            path = Path(seeds) / name
            if not path.is_file():
                raise SeedsMissing(f"notes.py: seed note {path} not found (pass --seeds DIR, the directory "
                                   f"of shared/seeds)")
            self.lines[name] = path.read_text(encoding="utf-8").split("\n")
        self.records = []
        # Mazur's network with the notes' numbers (004 lines 3-13, 145, 147; the rest from the post)
        self.p = mazur.make_params()
        self.n = mazur.forward(self.p)
        self.E = self.n["E_total"]
        self.params = [self.p[k] for k in mazur.PARAMS]
        # the truth-table network with the notes' printed weights, context 0,0 (false & false: target False)
        self.tt = truth_table.notes_net()
        self.loss, self.tt_nodes, self.pred = self._tt_graph((0, 0), 0)
        self.boxes = {v: _box(text) for _, v, text in truth_table.notes_parameters(self.tt)}

    def _tt_graph(self, context, target):
        nodes = self.tt.forward(context)
        loss = cross_entropy(nodes["RAW"], target)
        loss.label = "loss"
        pred = softmax(nodes["RAW"])
        for k, v in enumerate(pred):
            v.label = f"PRED[{k}]"
        return loss, nodes, pred

    # ---- record makers ---------------------------------------------------------------------------------
    def quote(self, seed, line, snippet=None):
        text = " ".join(self.lines[seed][line - 1].split())
        if snippet is None:
            return text
        if " ".join(snippet.split()) not in text:
            raise AssertionError(f"notes.py: {seed} line {line} does not contain {snippet!r}: {text!r}")
        return snippet

    def add(self, *, seed, line, quote, claim, written, engine, verdict, kinds=(), cause=""):
        assert verdict in VERDICTS, verdict
        self.records.append({"seed": seed, "line": line, "quote": self.quote(seed, line, quote), "claim": claim,
                             "written": written, "engine": engine, "verdict": verdict, "kinds": list(kinds),
                             "cause": cause})

    def given(self, *, seed, line, quote, claim, written, value, cause="defines the network"):
        if agreement(written, value) is None:
            raise AssertionError(f"notes.py: the network's {claim} = {value!r} is not the notes' {written!r}")
        self.add(seed=seed, line=line, quote=quote, claim=claim, written=written, engine=value, verdict="given",
                 cause=cause)

    def claim(self, *, seed, line, quote, claim, written, root=None, note="", lr=None, prefer=None):
        """A number as written: `claim` (a name) checked by explain.check on `root` (default Mazur's E_total)."""
        root = self.E if root is None else root
        item = check(root, {claim: written}, lr=lr, params=self.params if root is self.E else None).items[0]
        self._from_check(seed, line, quote, claim, written, item, root, note, prefer)

    def formula(self, *, seed, line, quote, claim, value, root=None, note="", lr=None, prefer=None):
        """A formula evaluated as written (`value`, a float) against the quantity `claim` it claims to be."""
        root = self.E if root is None else root
        item = check(root, {claim: value}, lr=lr, params=self.params if root is self.E else None).items[0]
        self._from_check(seed, line, quote, claim, f"{value:.6g}", item, root, note, prefer)

    def _from_check(self, seed, line, quote, claim, written, item, root, note, prefer):
        verdict, kinds, cause = item.verdict, [], ""
        if verdict in ("wrong", "truncated") and root is not self.E:
            # the truth-table net's weights are printed rounded: that explains a difference before any slip
            # does (with 2 printed digits, hundreds of candidate slips reproduce some numbers by chance)
            witness = self.rounding_witness(root, claim, item.written)
            if witness:
                verdict, cause = "rounding", witness
        if verdict == "wrong":
            causes = sorted(item.causes, key=lambda c: prefer not in c.sentence) if prefer else item.causes
            kinds = [causes[0].kind] if causes else []
            if causes:
                maybe = ", possibly a coincidence" if causes[0].coincidence else ""
                cause = f"{causes[0].kind}: {causes[0].sentence} (gives {causes[0].value:.6g}{maybe})"
                if len(causes) > 1:
                    cause += f"; {len(causes) - 1} other slip(s) also reproduce it"
            if verdict == "wrong" and not cause:
                cause = "no known slip reproduces it"
        if note:
            cause = f"{cause}. {note}" if cause else note
            if verdict == "wrong" and "structure" not in kinds and note.startswith("structure"):
                kinds.append("structure")
        self.add(seed=seed, line=line, quote=quote, claim=claim, written=written, engine=item.value, verdict=verdict,
                 kinds=kinds, cause=cause)

    def rounding_witness(self, root, name, written):
        """Weights within their printed rounding that reproduce `written` for `name`, as a sentence, or
        None. Greedy: each weight in turn to the end of its interval that brings the value closer; the
        value moves continuously, so the written digits are reached if they lie between the two ends."""
        target = float(written)
        chosen = {}
        value = claim_value(root, name)
        start = value
        for v, (lo, hi) in self.boxes.items():
            best = None
            for end in (lo, hi):
                trial = claim_value(replay(root, {**chosen, v: end})[root], name)
                if best is None or abs(trial - target) < abs(best[1] - target):
                    best = (end, trial)
            if abs(best[1] - target) < abs(value - target):
                chosen[v], value = best
            if agreement(written, value) == "correct" or (value - target) * (start - target) < 0:
                break
        if not (agreement(written, value) == "correct" or (value - target) * (start - target) < 0):
            return None
        moved = ", ".join(f"{v.label} {v.data:g}→{x:.4f}" for v, x in list(chosen.items())[:4])
        more = f" and {len(chosen) - 4} more" if len(chosen) > 4 else ""
        return (f"follows from the 2-decimal printed weights: the engine gives {start:.4g} from them as printed, "
                f"and with {moved}{more} (each within its ±0.005 rounding) {value:.4g}, so the notes' {written} "
                f"is reached in between")


def _box(text):
    """The interval a 2-decimal printed weight stands for (a signed zero keeps its sign)."""
    x = float(text)
    lo, hi = x - ROUNDING * 0.999, x + ROUNDING * 0.999
    if x == 0.0:
        return (lo, 0.0) if text.strip().startswith("-") else (0.0, hi)
    return lo, hi


# ---- the records, note by note -----------------------------------------------------------------------------
def mazur_records(a):
    """004 (and its continuation 003): Mazur's network, forward pass, w5's gradient and step, w1..w4, biases."""
    q = lambda name: claim_value(a.E, name)
    for line, k, text in ((3, "w1", ".15"), (5, "w2", ".2"), (7, "w3", ".25"), (9, "w4", ".3"), (11, "b1", ".35"),
                          (13, "b2", ".6")):
        a.given(seed=M, line=line, quote=None, claim=k, written="0" + text, value=a.p[k].data)
    a.formula(seed=M, line=15, quote="h_1 = (i_1 \\times w_1) + (i_2 \\times w_2) + (b_1 \\times 1)", claim="net_h1",
              value=q("i1") * q("w1") + q("i2") * q("w2") + q("b1"))
    a.formula(seed=M, line=17, quote="h_2 = (i_1 \\times w_3) + (i_2 \\times w_4) + (b_1 \\times 1)", claim="net_h2",
              value=q("i1") * q("w3") + q("i2") * q("w4") + q("b1"))
    a.formula(seed=M, line=19, quote="h_1 = (0.5 \\times 0.15) + (0.1 \\times 0.2) + .35", claim="net_h1",
              value=0.5 * 0.15 + 0.1 * 0.2 + 0.35, prefer="i1 = 0.5",
              note="i1 is 0.05 in Mazur's post and in the seeds' README")
    a.formula(seed=M, line=21, quote="h_2 = (0.5 + .25) + (0.1 + .3) + , 35", claim="net_h2",
              value=0.5 + 0.25 + 0.1 + 0.3 + 0.35,
              note="structure: '+' written for '×' in both products and ', 35' for .35; the result written on "
                   "line 27 (0,5) is the products' value with i1 = 0.5, not this sum")
    a.claim(seed=M, line=25, quote="h_1 = 0.44", claim="net_h1", written="0.44", prefer="i1 = 0.5")
    a.claim(seed=M, line=27, quote="h_2 = 0,5", claim="net_h2", written="0.5", prefer="i1 = 0.5",
            note="written with a decimal comma, 0,5")
    a.formula(seed=M, line=29, quote="O_1 = (h_1 \\times w_5) + (h_2 \\times w_6) + b_2", claim="net_o1",
              value=q("out_h1") * q("w5") + q("out_h2") * q("w6") + q("b2"),
              note="h_1, h_2 read as out_h1, out_h2: O_1 here is the net, without the sigmoid")
    a.add(seed=M, line=31, quote="O_2 = (n_2 \\times w_1) + (n_2 - v^o)", claim="net_o2", written="(illegible)",
          engine=q("net_o2"), verdict="wrong", kinds=["structure"],
          cause="structure: O_2 is (out_h1 × w_7) + (out_h2 × w_8) + b_2; the line has w_1, a '-' and an undefined v^o")
    a.claim(seed=M, line=33, quote="O_1 = 0.75", claim="net_o1", written="0.75",
            note="O_1 = 0.75 is Mazur's out_o1, correct as the out")
    a.claim(seed=M, line=33, quote="O_2 = 0.77", claim="net_o2", written="0.77",
            note="O_2 = 0.77 is Mazur's out_o2, correct as the out")
    a.formula(seed=M, line=39, quote=None, claim="E_total",
              value=0.5 * (0.01 - q("out_o1")) ** 2 + 0.5 * (0.99 - q("out_o2")) ** 2)
    a.formula(seed=M, line=43, quote="E_1 = \\frac{1}{2} (O_1 - O_1^{\\text{target}})^2", claim="E_o1",
              value=0.5 * (q("out_o1") - 0.01) ** 2, note="(o − t)² = (t − o)²: the sign does not matter here")
    a.formula(seed=M, line=45, quote="E_2 = \\frac{1}{2}(q_1 - O_2)", claim="E_o2", value=0.5 * (0.99 - q("out_o2")),
              note="structure: the square is missing (q_1 read as target_o2 = 0.99)")
    chain_w5 = q("∂E_total/∂out_o1") * q("∂out_o1/∂net_o1") * q("∂net_o1/∂w5")
    a.formula(seed=M, line=81,
              quote="\\frac{\\partial E_{\\text{total}}}{\\partial w_5} = \\frac{\\partial E_{\\text{total}}}",
              claim="∂E_total/∂w5", value=chain_w5)
    a.formula(seed=M, line=87, quote="= \\frac{1}{2} (\\text{target}_{01} - \\text{OUT}_{01})^2", claim="E_o1",
              value=0.5 * (0.01 - q("out_o1")) ** 2)
    a.formula(seed=M, line=95, quote="\\text{Net}_{O1} &= h_1 \\cdot w_5 + h_2 \\cdot w_6", claim="net_o1",
              value=q("out_h1") * q("w5") + q("out_h2") * q("w6") + q("b2"))
    a.formula(seed=M, line=107,
              quote="= 2 \\times \\frac{1}{2} \\left(\\frac{\\text{target}_{O1} - \\text{OUT}_{O1}}{\\text{target}_{O1}} "
                    "\\right)^{2-1} + 0",
              claim="∂E_total/∂out_o1", value=(0.01 - q("out_o1")) / 0.01,
              note="structure: line 105 divides by the target inside the loss (not in line 39's loss) and the "
                   "inner derivative −1 is missing; lines 111-113 get it right")
    a.formula(seed=M, line=105,
              quote="\\frac{1}{2} \\left(\\frac{\\text{target}_{O1} - \\text{OUT}_{O1}}{\\text{target}_{O1}} "
                    "\\right)^2 + \\frac{1}{2} \\left(\\frac{\\text{target}_{O2} - \\text{OUT}_{O2}}{\\text{target}_{O2}} \\right)^2",
              claim="E_total",
              value=0.5 * ((0.01 - q("out_o1")) / 0.01) ** 2 + 0.5 * ((0.99 - q("out_o2")) / 0.99) ** 2,
              note="structure: each error is divided by its target inside the loss (line 39's loss has no division)")
    a.formula(seed=M, line=111, quote="= (\\text{target} - \\text{OUT}) \\times -1", claim="∂E_total/∂out_o1",
              value=(0.01 - q("out_o1")) * -1)
    a.formula(seed=M, line=113, quote="= -\\text{target} + \\text{OUT}", claim="∂E_total/∂out_o1",
              value=-0.01 + q("out_o1"))
    e = math.exp(-q("net_o1"))
    a.formula(seed=M, line=119, quote=None, claim="out_o1", value=1 / (1 + e))
    a.formula(seed=M, line=121, quote=None, claim="∂out_o1/∂net_o1", value=-1 * (1 + e) ** -2 * -e,
              note="d/dnet_01 (1 + e^{−net_01}) = −e^{−net_01} (line 123)")
    a.formula(seed=M, line=125, quote=None, claim="∂out_o1/∂net_o1", value=-(1 + e) * -e,
              note="structure: line 121's power −2 of (1 + e^{−net_01}) is lost ('−e' read as −e^{−net_01}); "
                   "line 127's OUT(1 − OUT) is right")
    a.formula(seed=M, line=127, quote="= \\text{OUT}_{01}(1 - \\text{OUT}_{01})", claim="∂out_o1/∂net_o1",
              value=q("out_o1") * (1 - q("out_o1")))
    a.claim(seed=M, line=141, quote="0.0821", claim="∂E_total/∂w5", written="0.0821")
    a.given(seed=M, line=145, quote="LR = .5", claim="lr", written="0.5", value=mazur.LR)
    a.given(seed=M, line=147, quote="= 0.4", claim="w5", written="0.4", value=a.p["w5"].data)
    as_written = 0.4 - 0.5 * 0.0821
    a.add(seed=M, line=147, quote="= 0.4 - (.5 \\times 0.0821)", claim="w5+", written=f"{as_written:.6g}",
          engine=q("w5") - 0.5 * q("∂E_total/∂w5"), verdict="truncated", kinds=[],
          cause="follows from line 141's truncated 0.0821: the engine's 0.08216704 gives 0.35891648; "
                "0.0821 is right to its 4 digits only when cut, so this is right only to 4 digits (0.3589)")
    a.claim(seed=M, line=149, quote="= 0.35", claim="w5+", written="0.35", lr=0.5)
    a.formula(seed=M, line=239,
              quote="\\frac{\\partial E_{\\text{total}}}{\\partial \\text{OUT}_{h_1}} = \\frac{\\partial E_{\\text{out}_1}}",
              claim="∂E_total/∂out_h1", value=q("∂E_o1/∂out_h1") + q("∂E_o2/∂out_h1"))
    a.formula(seed=M, line=254, quote="\\text{out}_n = E_{o_1} = \\frac{\\partial \\text{net}_{h_1}}{\\partial w_i}",
              claim="∂E_o1/∂w1", value=q("∂net_h1/∂w1") * q("∂net_o1/∂out_h1") * q("∂E_o1/∂out_o1"),
              note="the left side should be ∂E_o1/∂w_1 (w_i read as w_1)")
    a.formula(seed=M, line=304, quote="\\frac{\\partial E_{\\text{total}}}{\\partial E_{\\text{total}}} = ",
              claim="∂E_total/∂E_total", value=q("∂E_total/∂net_h1") / q("∂out_h1/∂net_h1") / q("∂E_total/∂out_h1"),
              note="every fraction is upside down: as written it is ∂E_total/∂E_total = 1, not the chain for "
                   "∂E_total/∂w_1 that the text means (lines 329 and 418 have it right)")
    a.formula(seed=M, line=331, quote="\\frac{\\partial \\text{meth}_1}{\\partial w_1}", claim="∂E_total/∂w1",
              value=q("∂net_h1/∂w1") * q("∂out_h1/∂net_h1") * q("∂E_total/∂out_h1"), note="'meth_1' is net_h1")
    a.formula(seed=M, line=350,
              quote="\\frac{\\partial E_{\\text{total}}}{\\partial \\text{out}_{h_1}} = \\frac{\\partial E_1}",
              claim="∂E_total/∂out_h1", value=q("∂E_o1/∂out_h1") + q("∂E_o2/∂out_h1"))
    a.formula(seed=M, line=383,
              quote="\\frac{\\partial E_1}{\\partial out_m} = \\frac{\\partial net_{01}}{\\partial out_{n1}}",
              claim="∂E_o1/∂out_h1", value=q("∂net_o1/∂out_h1") * q("∂out_o1/∂net_o1") * q("∂E_o1/∂out_o1"))
    a.formula(seed=M, line=405, quote="= \\frac{2 \\text{ net}_{O_2}}{2 \\text{ OUT}_{H_2}}", claim="∂E_o2/∂out_h1",
              value=q("∂net_o2/∂out_h2") * q("∂out_o2/∂net_o2") * q("∂E_o2/∂out_o2"),
              note="for ∂E_2/∂out_h1 (line 399) the first factor is ∂net_O2/∂OUT_H1 = w_7, not ∂net_O2/∂OUT_H2")
    a.formula(seed=M, line=411,
              quote="= \\frac{2 \\text{ net}_{O_2}}{2 \\text{ OUT}_{H_2}} \\times \\frac{2 \\text{ OUT}_{O_1}}",
              claim="∂E_total/∂out_h2", value=q("∂net_o2/∂out_h2") * q("∂out_o1/∂net_o1") * q("∂E_o1/∂out_o1")
                                              + q("∂net_o2/∂out_h2") * q("∂out_o2/∂net_o2") * q("∂E_o2/∂out_o2"),
              note="structure: the o1 path starts with ∂net_O2/∂OUT_H2 (w_8) where ∂net_O1/∂OUT_H2 (w_6) belongs")
    a.formula(seed=M, line=418, quote="\\frac{2 E_{\\text{total}}}{2 w_1} = \\frac{2 \\text{net } n_1}{2 w_1}",
              claim="∂E_total/∂w1", value=q("∂net_h1/∂w1") * q("∂out_h1/∂net_h1") * q("∂E_total/∂out_h1"))
    a.formula(seed=M, line=426, quote="\\text{net}_1 = w_1 \\cdot i_1 + w_2 \\cdot i_2 + b_1", claim="net_h1",
              value=q("w1") * q("i1") + q("w2") * q("i2") + q("b1"))
    a.formula(seed=M, line=434, quote="\\frac{d}{d w_1} (\\text{net}_{h_1}) = i_1", claim="∂net_h1/∂w1", value=q("i1"))
    a.formula(seed=M, line=448, quote="= \\text{out}_{h_1} \\times (1 - \\text{out}_{h_1})", claim="∂out_h1/∂net_h1",
              value=q("out_h1") * (1 - q("out_h1")))
    a.add(seed=M, line=452,
          quote="\\frac{\\frac{\\partial E_{total}}{\\partial \\text{net}_{o_1}}}{\\frac{\\partial \\text{out}_{h_1}}",
          claim="∂E_total/∂out_h1", written="(undefined)", engine=q("∂E_total/∂out_h1"), verdict="wrong",
          kinds=["structure"],
          cause="structure: each factor is written as a fraction of two derivatives; its denominator ∂out_h1/∂net_o1 is "
                f"{q('∂out_h1/∂net_o1'):g} (out_h1 does not depend on net_o1), so as written it is undefined; lines "
                "468-495 then compute the right factors")
    a.add(seed=M, line=457, quote="= -\\text{U}_2", claim="∂out_h1/∂net_o2", written="−U_2",
          engine=q("∂out_h1/∂net_o2"), verdict="wrong", kinds=["structure"],
          cause="structure: out_h1 does not depend on net_o2 (the derivative is 0); the intended factor is "
                "∂NET_O2/∂OUT_h1 = w_7")
    a.formula(seed=M, line=468, quote="(W_5 \\times \\text{OUT}_{h_1}) + (W_7 \\times \\text{OUT}_{h_2}) + b_2",
              claim="net_o1", value=q("w5") * q("out_h1") + q("w7") * q("out_h2") + q("b2"))
    a.formula(seed=M, line=470, quote="= W_5", claim="∂net_o1/∂net_o1", value=q("w5"),
              note="the intended ∂NET_O1/∂OUT_h1 (line 459) = W_5 is right")
    a.formula(seed=M, line=476,
              quote="② \\frac{\\partial \\text{OUT}_{o1}}{\\partial \\text{NET}_{o1}} = (\\text{OUT}_{o1}) \\times (1 - \\text{OUT}_{o1})",
              claim="∂out_o1/∂net_o1", value=q("out_o1") * (1 - q("out_o1")))
    a.formula(seed=M, line=482, quote="= \\frac{1}{2} (\\text{target} - \\text{OUT}_{o1})^2", claim="E_o1",
              value=0.5 * (0.01 - q("out_o1")) ** 2)
    a.formula(seed=M, line=486, quote="(E_1) = (\\text{target} - \\text{OUT}_{o1}) \\times (-1)", claim="∂E_o1/∂out_o1",
              value=(0.01 - q("out_o1")) * -1)
    a.formula(seed=M, line=488, quote="④ \\frac{\\partial \\text{NET}_{o2}}{\\partial \\text{OUT}_{h2}} = W_6",
              claim="∂net_o2/∂out_h2", value=q("w6"))
    a.formula(seed=M, line=493,
              quote="⑤ \\frac{\\partial \\text{OUT}_{o2}}{\\partial \\text{NET}_{o2}} = (\\text{OUT}_{o2}) \\times (1 - \\text{OUT}_{o2})",
              claim="∂out_o2/∂net_o2", value=q("out_o2") * (1 - q("out_o2")))
    a.formula(seed=M, line=495, quote="= (\\text{target}_{O_2} - \\text{out}_{O_2}) \\times (-1)",
              claim="∂E_o2/∂out_o2", value=(0.99 - q("out_o2")) * -1)
    for seed, line, snippet in ((M, 505, "\\frac{2 \\text{net}_{h_2}}{2 w_2}"),
                                (C3, 83, "\\frac{\\partial net_{h2}}{\\partial w_2}")):
        a.formula(seed=seed, line=line, quote=snippet, claim="∂net_h2/∂w2", value=q("i1"),
                  note="∂net_h2/∂w_2 used as i_1 (the next line): the backward pass numbers w_2 as i1→h2 "
                       "(destination numbering) while the forward pass (004 line 15) has w_2 as i2→h1")
    for seed, line, snippet in ((M, 507, "= i_1 \\times (\\text{OUT}_{h_2}) \\times (1 - \\text{OUT}_{h_2})"),
                                (C3, 85, "= i1 \\times (out_{h2}) \\times (1 - out_{h2})")):
        a.formula(seed=seed, line=line, quote=snippet, claim="∂E_total/∂w2",
                  value=q("i1") * q("out_h2") * (1 - q("out_h2")) * q("∂E_total/∂out_h2"))
    a.formula(seed=M, line=519, quote="\\frac{2 \\text{out}_{H_2}}{2 \\text{out}_{H_2}} = ", claim="∂E_total/∂out_h2",
              value=q("∂net_o2/∂out_h2") * q("∂out_o1/∂net_o1") * q("∂E_o1/∂out_o1")
              + q("∂net_o2/∂out_h2") * q("∂out_o2/∂net_o2") * q("∂E_o2/∂out_o2"),
              note="structure: the o1 path starts with ∂net_O2/∂out_H2 (w_8) where ∂net_O1/∂out_H2 (w_6) "
                   "belongs (the left side, ∂out_H2/∂out_H2, is a slip of the pen for ∂E_total/∂out_H2)")
    a.formula(seed=M, line=525, quote="= W_1 \\times (\\text{out}_{O_1}) \\times (1 - \\text{out}_{O_1})",
              claim="∂E_total/∂out_h2", value=q("w1") * q("out_o1") * (1 - q("out_o1")) * -(0.01 - q("out_o1"))
                                              + (1 - q("w1")) * q("out_o2") * (1 - q("out_o2")) * -(0.99 - q("out_o2")),
              note="structure: W_1 and (1 − W_1) (lines 525-529) where w_6 and w_8 belong")
    a.formula(seed=M, line=529, quote=None, claim="∂E_o2/∂out_h2",
              value=(1 - q("w1")) * q("out_o2") * (1 - q("out_o2")) * -(0.99 - q("out_o2")),
              note="structure: (1 − W_1) where ∂net_o2/∂out_h2 = w_8 belongs")
    a.formula(seed=M, line=533, quote="\\frac{\\partial \\text{net}_{h_1}}{\\partial w_3}", claim="∂net_h1/∂w3",
              value=q("i2"),
              note="∂net_h1/∂w_3 is i_2 in destination numbering (w_3: i2→h1); in the forward pass's numbering "
                   "w_3 feeds h2 and this factor is 0")
    a.formula(seed=M, line=539, quote="\\frac{\\partial E_{\\text{total}}}{\\partial w_4} = ", claim="∂E_total/∂w4",
              value=q("∂net_h2/∂w4") * q("∂out_h2/∂net_h2") * q("∂E_total/∂out_h2"))
    a.formula(seed=M, line=541, quote="\\frac{\\partial E_{\\text{total}}}{\\partial w_5} = ", claim="∂E_total/∂w5",
              value=q("∂net_o1/∂w5") * q("∂out_o1/∂net_o1") * q("∂E_total/∂out_o1"))
    a.formula(seed=M, line=576, quote="\\Rightarrow E_{\\text{total}} - \\frac{\\partial E_1}{2b_1}",
              claim="∂E_total/∂b1", value=q("E_total") - q("∂E_o1/∂b1") + q("∂E_o2/∂b1"),
              note="structure: '−' where '=' was meant: the intended ∂E_total/∂b_1 = ∂E_1/∂b_1 + ∂E_2/∂b_1 is right")
    a.formula(seed=M, line=582, quote="= \\frac{\\text{net } h_1}{2b_1} \\times \\frac{\\text{net } h_2}{2b_1}",
              claim="∂E_o1/∂b1", value=q("∂net_h1/∂b1") * q("∂net_h2/∂b1") * q("∂out_h1/∂net_h1") * q("∂out_h2/∂net_h2")
                                       * q("∂E_o1/∂out_h1") * q("∂E_o1/∂out_h2"))
    a.claim(seed=M, line=584, quote="= \\frac{1}{2} \\times 1", claim="∂net_h1/∂b1", written="1/2",
            note="b_1 feeds net_h1 with coefficient 1 (the shared bias is not split between h1 and h2)")
    a.formula(seed=M, line=587, quote="\\therefore (h_{1,2}) \\cdot (1 - \\text{out}_{h_{1,2}})",
              claim="∂out_h1/∂net_h1", value=q("out_h1") * (1 - q("out_h1")),
              note="h_{1,2} read as out_h1 (and out_h2)")
    a.formula(seed=M, line=589, quote=None, claim="∂E_o1/∂b1",
              value=0.5 * 1 * q("∂out_h1/∂net_h1") * q("∂out_h2/∂net_h2")
                    * q("∂E_o1/∂out_h1") * q("∂E_o1/∂out_h2"),
              note="structure: lines 584-591 evaluate line 582's product (the paths through h1 and h2 "
                   "multiplied) with line 584's 1/2 × 1 for the two ∂net/∂b_1")
    for seed, line, snippet in ((M, 599, "= \\frac{\\partial E_1}{\\partial b_2} + \\frac{\\partial E_2}"),
                                (C3, 127, "= \\frac{\\partial E_1}{\\partial b_2} + \\frac{\\partial E_2}")):
        a.formula(seed=seed, line=line, quote=snippet, claim="∂E_total/∂b2", value=q("∂E_o1/∂b2") + q("∂E_o2/∂b2"))
    for seed, line, snippet in ((M, 607, "= 1 \\times (\\text{out}_{0,i})"), (C3, 132, "&= 1 \\times (out_{o1}) \\times (1 - out_{o1})")):
        a.formula(seed=seed, line=line, quote=snippet, claim="∂E_o1/∂b2",
                  value=1 * q("out_o1") * (1 - q("out_o1")) * -(0.01 - q("out_o1")))
    a.formula(seed=M, line=607, quote="= 1 \\times (\\text{out}_{0,i})", claim="∂E_o2/∂b2",
              value=1 * q("out_o2") * (1 - q("out_o2")) * -(0.99 - q("out_o2")), note="for i = 2")
    # 003's copy of the w1 derivation
    a.formula(seed=C3, line=51, quote="\\frac{2 E_{total}}{2 OUT_{h1}} = \\frac{2 E_{out1}}", claim="∂E_total/∂out_h1",
              value=q("∂E_o1/∂out_h1") + q("∂E_o2/∂out_h1"))
    a.formula(seed=C3, line=62, quote="E_{o1} = \\frac{2 net_{h1}}{2 w_1}", claim="∂E_o1/∂w1",
              value=q("∂net_h1/∂w1") * q("∂net_o1/∂out_h1") * q("∂out_o1/∂net_o1") * q("∂E_o1/∂out_o1"),
              note="the left side should be ∂E_o1/∂w_1")
    a.formula(seed=C3, line=68, quote="= \\frac{\\partial \\text{net}_{o2}}{\\partial \\text{out}_{h1}}",
              claim="∂E_o2/∂out_h1", value=q("∂net_o2/∂out_h1") * q("∂out_o2/∂net_o2") * q("∂E_o2/∂out_o2"))
    a.formula(seed=C3, line=73, quote="\\frac{\\partial E_{\\text{total}}}{\\partial \\text{out}_{h1}} &= ",
              claim="∂E_total/∂out_h1", value=q("∂net_o1/∂out_h1") * q("∂out_o1/∂net_o1") * q("∂E_o1/∂out_o1")
                                              + q("∂net_o2/∂out_h1") * q("∂out_o2/∂net_o2") * q("∂E_o2/∂out_o2"))
    a.formula(seed=C3, line=77, quote="\\frac{\\partial E_{\\text{total}}}{\\partial w_1} = ", claim="∂E_total/∂w1",
              value=q("∂net_h1/∂w1") * q("∂out_h1/∂net_h1") * q("∂E_total/∂out_h1"))
    a.formula(seed=C3, line=93, quote="= \\frac{\\partial net_{o1}}{\\partial out_{h2}}", claim="∂E_total/∂out_h2",
              value=q("∂net_o1/∂out_h2") * q("∂out_o1/∂net_o1") * q("∂E_o1/∂out_o1")
              + q("∂net_o2/∂out_h2") * q("∂out_o2/∂net_o2") * q("∂E_o2/∂out_o2"), note="with line 96's second path")


def makemore_records(a):
    """003 lines 5-28: the makemore shapes, by the engine's Embedding and Layer."""
    rng = random.Random(0)
    X = [[rng.randrange(27) for _ in range(3)] for _ in range(32)]
    emb = Embedding(27, 3, rng=rng)
    rows = emb.lookup(X)
    shape = f"{len(rows)} x {len(X[0])} x {len(rows[0]) // len(X[0])}"
    a.add(seed=C3, line=5, quote="X = 96 \\times 3", claim="X.shape", written="96 x 3",
          engine=f"{len(X)} x {len(X[0])}", verdict="wrong", kinds=["shape"],
          cause="struck out in the notes themselves: X holds 32 examples of 3 indices (96 is the number of indices)")
    a.add(seed=C3, line=7, quote="X.shape = 32 \\times 3", claim="X.shape", written="32 x 3",
          engine=f"{len(X)} x {len(X[0])}", verdict="given", cause="defines the batch: 32 examples, block size 3")
    a.add(seed=C3, line=17, quote="C[X] = 32 \\times 3 \\times 3", claim="C[X].shape", written="32 x 3 x 3",
          engine=shape, verdict="given",
          cause="sets the embedding size d = 3 (Embedding(27, 3).lookup(X): 32 rows of 3 x 3 values)")
    layer = Layer(len(rows[0]), 100, rng=rng)
    a.add(seed=C3, line=28, quote="9 × 100", claim="W1.shape", written="9 x 100",
          engine=f"{layer.nin} x {len(layer.neurons)}", verdict="correct",
          cause="the hidden layer takes the 3 x 3 = 9 values of one example's C[X]")


def _num(cell):
    return cell.replace("[", "").replace("]", "").replace(",", "").strip()


def truth_table_records(a):
    """001 and 000: the truth-table network's tables, each cell checked on the notes' network."""
    loss, pred = a.loss, a.pred
    params = {label: (v, text) for label, v, text in truth_table.notes_parameters(a.tt)}
    cell = lambda seed, line, name, written, root=loss, **kw: a.claim(seed=seed, line=line, quote=None, claim=name,
                                                                      written=written, root=root, **kw)
    for seed, top in ((T1, 5), (T0, 6)):
        for t, row in enumerate(truth_table.NOTES_WEIGHTS["EMBEDDINGS"]):
            for d, text in enumerate(row):
                a.given(seed=seed, line=top + 1 + t, quote=None, claim=f"C[{t}][{d}]", written=text,
                        value=params[f"C[{t}][{d}]"][0].data)
        for i, row in enumerate(truth_table.NOTES_WEIGHTS["HW"]):
            for j, text in enumerate(row):
                a.given(seed=seed, line=top + i, quote=None, claim=f"HW[{i}][{j}]", written=text,
                        value=params[f"HW[{i}][{j}]"][0].data)
        for j, text in enumerate(truth_table.NOTES_WEIGHTS["HB"]):
            a.given(seed=seed, line=top + j, quote=None, claim=f"HB[{j}]", written=text,
                    value=params[f"HB[{j}]"][0].data)
        for j, row in enumerate(truth_table.NOTES_WEIGHTS["OW"]):
            for k, text in enumerate(row):
                a.given(seed=seed, line=top + j, quote=None, claim=f"OW[{j}][{k}]", written=text,
                        value=params[f"OW[{j}][{k}]"][0].data)
        for k, text in enumerate(truth_table.NOTES_WEIGHTS["OB"]):
            a.given(seed=seed, line=top + 1 + k, quote=None, claim=f"OB[{k}]", written=text,
                    value=params[f"OB[{k}]"][0].data)
        for i, text in enumerate(["0.01", "0.03", "0.01", "0.03"]):
            cell(seed, top + i, f"IL[{i}]", text)
        for name, texts in (("RNI", ["-0.00", "0.00", "0.00"]), ("HI", ["-0.02", "-0.03", "0.03"]),
                            ("HA", ["-0.02", "-0.03", "0.03"])):
            for j, text in enumerate(texts):
                cell(seed, top + j, f"{name}[{j}]", text)
        for name, texts in (("RNO", ["0.00", "-0.00"]), ("RAW", ["0.03", "-0.01"])):
            for k, text in enumerate(texts):
                cell(seed, top + 1 + k, f"{name}[{k}]", text)
        for k, text in enumerate(["0.51", "0.49"]):
            cell(seed, top + 1 + k, f"PRED[{k}]", text, root=pred[k])
    # 000 repeats HA x OW => RNO three times (lines 347-349, 417-419, 513-515)
    for top in (347, 417, 513):
        for j, text in enumerate(["-0.02", "-0.03", "0.03"]):
            cell(T0, top + j, f"HA[{j}]", text)
            for k, w in enumerate(truth_table.NOTES_WEIGHTS["OW"][j]):
                a.given(seed=T0, line=top + j, quote=None, claim=f"OW[{j}][{k}]", written=w,
                        value=params[f"OW[{j}][{k}]"][0].data, cause="the output weights, as in the forward table")
        for k, text in enumerate(["0.00", "-0.00"]):
            cell(T0, top + 1 + k, f"RNO[{k}]", text)
    # the embeddings repeated under GRAD EMBEDDINGS, and "the first embedding [ 0.01, 0.03 ]"
    for seed, top, first in ((T1, 83, 86), (T0, 88, 91)):
        for t, row in enumerate(truth_table.NOTES_WEIGHTS["EMBEDDINGS"]):
            for d, text in enumerate(row):
                a.given(seed=seed, line=top + t, quote=None, claim=f"C[{t}][{d}]", written=text,
                        value=params[f"C[{t}][{d}]"][0].data, cause="the embeddings, as in the forward table")
                if t == 0:
                    a.given(seed=seed, line=first, quote=None, claim=f"C[0][{d}]", written=text,
                            value=params[f"C[0][{d}]"][0].data, cause="False's embedding, as in the forward table")
    # TRANS(WH): HW transposed, row N(j+1) is hidden neuron j's weights (001 lines 35-37, 000 lines 78-80)
    for seed, top in ((T1, 35), (T0, 78)):
        for j in range(3):
            for i, row in enumerate(truth_table.NOTES_WEIGHTS["HW"]):
                a.given(seed=seed, line=top + j, quote=None, claim=f"HW[{i}][{j}]", written=row[j],
                        value=params[f"HW[{i}][{j}]"][0].data,
                        cause=f"TRANS(WH) row N{j + 1}: the hidden weights transposed, as printed in the forward table")
    # the backward tables: (seed, first line of each column)
    g = lambda name: f"∂loss/∂{name}"
    for seed, err, dhis in ((T1, 36, 35), (T0, 59, 58)):
        for k, text in enumerate(["-0.49", "0.49"]):
            cell(seed, err + k, g(f"RAW[{k}]"), text)
            for j, w in enumerate(truth_table.NOTES_WEIGHTS["OW"]):  # TRANS(OH): OW transposed
                a.given(seed=seed, line=err + k, quote=None, claim=f"OW[{j}][{k}]", written=w[k],
                        value=params[f"OW[{j}][{k}]"][0].data,
                        cause="TRANS(OH) row O%d: the output weights transposed, as printed in the forward table" % (k + 1))
        for j, (d_his, d_t, d_hi) in enumerate([("0.01", "1.00", "0.01"), ("0.03", "1.00", "0.03"),
                                                ("-0.02", "1.00", "-0.02")]):
            cell(seed, dhis + j, g(f"HA[{j}]"), d_his)
            cell(seed, dhis + j, f"∂HA[{j}]/∂HI[{j}]", d_t)
            cell(seed, dhis + j, g(f"HI[{j}]"), d_hi)
    for j, text in enumerate(["0.01", "0.03", "-0.02"]):
        cell(T0, 78 + j, g(f"HI[{j}]"), text)
    for seed, top in ((T1, 35), (T0, 78)):  # dIL = TRANS(WH) · dHI
        for i, text in enumerate(["0.00", "-0.00", "0.00", "0.00"]):
            cell(seed, top + i, g(f"IL[{i}]"), text)
    for seed, top in ((T1, 45), (T0, 40)):
        for k, text in enumerate(["-0.49", "0.49"]):
            cell(seed, top + k, g(f"OB[{k}]"), text)
    for seed, top in ((T1, 51), (T0, 46)):  # dWO printed 4 x 3
        a.add(seed=seed, line=top, quote=None, claim="dWO.shape", written="4 x 3",
              engine=f"{len(a.tt.output.neurons)} x {len(a.tt.hidden.neurons)}", verdict="wrong", kinds=["shape"],
              cause="shape: ErrS (2) ⊗ HA (3) is 2 x 3, one row per output (000 lines 359-360 "
                    "get it right); the block has 4 rows, the shape of dWH")
        for k in range(2):
            for j, text in enumerate(["0.00", "0.00", "-0.00"]):
                cell(seed, top + k, g(f"OW[{j}][{k}]"), text, prefer=f"∂loss/∂HW[{k}][{j}]",
                     note="the block repeats dWH's 0.00, 0.00, -0.00 pattern (its 4 x 3 shape too)")
        for j, text in enumerate(["-0.02", "-0.03", "0.03"]):  # the ha column
            cell(seed, top + j, f"HA[{j}]", text)
        for k, text in enumerate(["-0.49", "0.49"]):  # the ErrS column
            cell(seed, top + 1 + k, g(f"RAW[{k}]"), text)
        for r in (2, 3):  # rows with no output behind them
            for j, text in enumerate(["0.00", "0.00", "-0.00"]):
                dwh = claim_value(loss, g(f"HW[{r}][{j}]"))
                a.add(seed=seed, line=top + r, quote=None, claim=f"dWO[{r}][{j}]", written=text,
                      engine="(none: dWO is 2 x 3)", verdict="wrong", kinds=["shape"],
                      cause=f"shape: dWO has one row per output (2); this row {r + 1} is dWH's row {r + 1} "
                            f"(∂loss/∂HW[{r}][{j}] = {dwh:.2g}, which the printed {text} "
                            f"{'matches' if agreement(text, dwh) else 'does not match either'})")
    for seed, top in ((T1, 62), (T0, 58)):  # the IL column beside dWH
        for i, text in enumerate(["0.01", "0.03", "0.01", "0.03"]):
            cell(seed, top + i, f"IL[{i}]", text)
    for j, text in enumerate(["0.01", "0.03", "-0.02"]):  # 001's dHI column beside dWH
        cell(T1, 62 + j, g(f"HI[{j}]"), text)
    for seed, top in ((T1, 62), (T0, 58)):  # dWH = IL ⊗ dHI
        for i in range(4):
            for j, text in enumerate(["0.00", "0.00", "-0.00"]):
                cell(seed, top + i, g(f"HW[{i}][{j}]"), text)
    for seed, top in ((T1, 72), (T0, 68)):
        for j, text in enumerate(["0.01", "0.03", "-0.02"]):
            cell(seed, top + j, g(f"HB[{j}]"), text)
    # the per-embedding updates: dIL[i] applied to the embedding entry at position i of the context
    for seed, top in ((T1, 90), (T0, 95)):
        for i, (d_il, entry) in enumerate([("0.00", "0.01"), ("-0.00", "0.03"), ("0.00", "0.01"), ("0.00", "0.04")]):
            cell(seed, top + i, g(f"IL[{i}]"), d_il)
            label = f"C[0][{i % 2}]"
            item = check(loss, {label: entry}).items[0]
            if item.verdict == "wrong":
                a.add(seed=seed, line=top + i, quote=None, claim=label, written=entry, engine=item.value,
                      verdict="wrong", kinds=["renumbered"],
                      cause=f"renumbered: {entry} is C[1][1], dimension 2 of True's embedding '--'; the context "
                            f"[0, 0] holds False twice, so dIL[{i}] goes to False's dimension 2, {item.value:g}"
                            + (" (the line itself says Input 0 \"False\")" if seed == T0 else ""))
            else:
                a.add(seed=seed, line=top + i, quote=None, claim=label, written=entry, engine=item.value,
                      verdict=item.verdict)
    # the error-signal tables
    for seed, top in ((T1, 118),):
        for k, text in enumerate(["-0.49", "0.49"]):
            cell(seed, top + k, g(f"RAW[{k}]"), text)
    # their PRED and REAL ("GRAD" in 001) columns: (seed, first line, REAL as printed, context, target)
    for seed, top, real, context, target in ((T1, 118, ["1.00", "0.00"], (0, 0), 0), (T1, 126, ["0.00", "0.00"], (0, 0), 0),
                                             (T0, 125, ["0.00", "1.00"], (0, 0), 0), (T0, 149, ["1.00", "0.00"], (0, 1), 0)):
        pred_c = pred if context == (0, 0) else a._tt_graph(context, target)[2]
        ctx = "" if context == (0, 0) else "context [0, 1]"
        for k, text in enumerate(["0.51", "0.49"]):
            if seed != T0 or top != 149:  # 000 line 149-150's PRED are recorded below with their context
                a.claim(seed=seed, line=top + k, quote=None, claim=f"PRED[{k}]", written=text, root=pred_c[k], note=ctx)
            want = float(k == target)
            ok = agreement(real[k], want)
            a.add(seed=seed, line=top + k, quote=None, claim=f"REAL[{k}]", written=real[k], engine=want,
                  verdict=ok or "wrong", kinds=[] if ok else ["target"],
                  cause=ctx if ok else f"target: the one-hot target of {'false & false' if context == (0, 0) else 'false & true'} "
                        f"= false is 1.00 on FALSE, 0.00 on TRUE")
    a.add(seed=T0, line=139, quote="0% of the the time you should respond with false", claim="REAL[0]", written="0.00",
          engine=1.0, verdict="wrong", kinds=["target"],
          cause="target: false & false = false, so REAL is 1.00 on FALSE")
    loss_true = a._tt_graph((0, 0), 1)[0]
    for k, text in enumerate(["0.51", "-0.51"]):
        item = check(loss, {g(f"RAW[{k}]"): text}).items[0]
        a.add(seed=T0, line=125 + k, quote=None, claim=g(f"RAW[{k}]"), written=text, engine=item.value,
              verdict=item.verdict, kinds=["target"],
              cause=f"target: REAL is one-hot on TRUE, but the text says false & false = false (line 115); with "
                    f"target True the engine gives {claim_value(loss_true, g(f'RAW[{k}]')):.4f}, the table's number")
    a.add(seed=T0, line=138, quote="100% of the time you should respond with true", claim="REAL[1]", written="1.00",
          engine=0.0, verdict="wrong", kinds=["target"],
          cause="target: false & false = false, so REAL is 1.00 on FALSE and 0.00 on TRUE")
    item = check(pred[1], {"PRED[1]": "0.51"}).items[0]
    a.add(seed=T0, line=134, quote=None, claim="PRED[1]", written="0.51", engine=item.value, verdict=item.verdict,
          kinds=["other-node"],
          cause=f"other-node: 0.51 is PRED[0] ({pred[0].data:.4f}), the probability of FALSE (line 7); TRUE gets "
                f"{item.value:.4f}")
    loss01, _, pred01 = a._tt_graph((0, 1), 0)
    for k, text in enumerate(["0.51", "0.49"]):
        a.claim(seed=T0, line=149 + k, quote=None, claim=f"PRED[{k}]", written=text, root=pred01[k],
                note="context [0, 1]")
    for k, text in enumerate(["-0.49", "0.49"]):
        a.claim(seed=T0, line=149 + k, quote=None, claim=g(f"RAW[{k}]"), written=text, root=loss01,
                note="context [0, 1], target False")
    for seed, line in ((T1, 126), (T1, 127)):
        k = line - 126
        item = check(loss, {g(f"RAW[{k}]"): ["0.51", "0.49"][k]}).items[0]
        a.add(seed=seed, line=line, quote=None, claim=g(f"RAW[{k}]"), written=["0.51", "0.49"][k], engine=item.value,
              verdict=item.verdict, kinds=["target"],
              cause="target: REAL [0.00, 0.00] is no one-hot target; PRED − REAL is then PRED itself")
    a.add(seed=T1, line=121, quote="the gradient would be [ 0.00, 0.00 ]", claim=g("RAW[0]"), written="0.00",
          engine=claim_value(loss, g("RAW[0]")), verdict="wrong", kinds=["structure"],
          cause="structure: PRED − REAL vanishes only when PRED is exactly one-hot; the network "
                "already ranks FALSE first (0.51), which is 'correct', and the gradient is still -0.49, 0.49")
    # 000's dWO at 4 decimals (lines 359-360, again 441-442): the notes multiply their printed ErrS and HA
    errs, ha = ["-0.49", "0.49"], ["-0.02", "-0.03", "0.03"]
    for top in (359, 441):
        for k in range(2):
            for j, text in enumerate((["0.0098", "0.0147", "-0.0147"], ["-0.0098", "-0.0147", "0.0147"])[k]):
                name = g(f"OW[{j}][{k}]")
                item = check(loss, {name: text}).items[0]
                product = float(errs[k]) * float(ha[j])
                if item.verdict == "correct" or agreement(text, product) is None:
                    raise AssertionError(f"notes.py: 000 line {top + k}: {text} is neither the engine's nor "
                                         f"{errs[k]} × {ha[j]}")
                a.add(seed=T0, line=top + k, quote=None, claim=name, written=text, engine=item.value,
                      verdict="rounding", kinds=[],
                      cause=f"the notes' own arithmetic on their printed 2-decimal ErrS and HA: {errs[k]} × {ha[j]} = "
                            f"{product:.4f}; from the weights the engine has ErrS {claim_value(loss, g(f'RAW[{k}]')):.4f}"
                            f" and HA {a.tt_nodes['HA'][j].data:.4f}")
    for top in (359, 441):
        for k, text in enumerate(errs):
            cell(T0, top + k, g(f"RAW[{k}]"), text)
        for j, text in enumerate(ha):
            cell(T0, top + j, f"HA[{j}]", text)
    a.formula(seed=T0, line=524, quote="-0.02 * -0.04 + -0.03 * -0.05 + 0.03 * -0.01", claim="RNO[0]",
              value=-0.02 * -0.04 + -0.03 * -0.05 + 0.03 * -0.01, root=loss)


def next_word_records(a):
    """000 lines 203-274: the "I want to" example, a softmax over the next word with cross-entropy on "go":
    the bias gradients are PRED - REAL (by the engine: logits log PRED, so softmax gives PRED back)."""
    words, pred, real, lr = ["the", "go", "dance", "fly"], ["0.4", "0.3", "0.2", "0.05"], ["0.0", "1.0", "0.0", "0.0"], 0.5
    logits = [Value(math.log(float(x)), label=w) for w, x in zip(words, pred)]
    logits.append(Value(math.log(1 - sum(float(x) for x in pred)), label="rest"))  # the '...' rows
    loss = cross_entropy(logits, 1)
    loss.label = "loss"
    grad = {w: claim_value(loss, f"∂loss/∂{w}") for w in words}
    for i, w in enumerate(words):
        a.given(seed=T0, line=203 + i, quote=None, claim=f"PRED[{w}]", written=pred[i], value=math.exp(logits[i].data))
        a.given(seed=T0, line=215 + i, quote=None, claim=f"REAL[{w}]", written=real[i], value=float(w == "go"))
        a.given(seed=T0, line=215 + i, quote=None, claim=f"PRED[{w}]", written=pred[i], value=math.exp(logits[i].data),
                cause="as on line 203")
        a.given(seed=T0, line=229 + i, quote=None, claim=f"PRED[{w}]", written=pred[i], value=math.exp(logits[i].data),
                cause="as on line 203")
        a.given(seed=T0, line=229 + i, quote=None, claim=f"REAL[{w}]", written=real[i], value=float(w == "go"),
                cause="as on line 215")
        step = lr * grad[w]
        as_written = float(pred[i]) - float(real[i]) * lr
        ok = agreement(as_written, step)
        a.add(seed=T0, line=229 + i, quote=f"{pred[i]} - ({real[i]} * lR)", claim=f"lR·∂loss/∂{w}",
              written=f"{as_written:g}", engine=step, verdict=ok or "wrong", kinds=[] if ok else ["learning-rate"],
              cause="" if ok else f"learning-rate: lR multiplies REAL only; the step is lR × (PRED − REAL) = "
                    f"{step:g}, as line {243 + i} has it")
        text = ["0.2", "-0.35", "0.1", "0.025"][i]
        a.add(seed=T0, line=243 + i, quote=None, claim=f"lR·∂loss/∂{w}", written=text, engine=step,
              verdict=agreement(text, step) or "wrong")
        bias, after = ["0.42", "0.15", "0.1", "0.01"][i], ["0.22", "0.5", "0.0", "-0.015"][i]
        a.given(seed=T0, line=260 + i, quote=None, claim=f"bias[{w}]", written=bias, value=float(bias),
                cause="an example bias")
        a.add(seed=T0, line=260 + i, quote=None, claim=f"lR·∂loss/∂{w}", written=text, engine=step,
              verdict=agreement(text, step) or "wrong")
        a.add(seed=T0, line=271 + i, quote=f"{bias} - {text} = {after}", claim=f"bias[{w}]+", written=after,
              engine=float(bias) - step, verdict=agreement(after, float(bias) - step) or "wrong")
    a.given(seed=T0, line=238, quote="the learning rate is 0.5", claim="lr", written="0.5", value=lr)
    a.add(seed=T0, line=252, quote="the `-0.35` applied to go", claim="lR·∂loss/∂go", written="-0.35",
          engine=lr * grad["go"], verdict=agreement("-0.35", lr * grad["go"]) or "wrong")


def calculus_records(a):
    """000 lines 458-461: the derivatives of the example polynomial, by the engine at x = 0.7."""
    x0 = 0.7
    for line, f, df, snippet in ((458, lambda x: x ** 3 + 2 * x ** 2, lambda x: 3 * x ** 2 + 4 * x, "= 3x^2 + 4x"),
                                 (459, lambda x: 3 * x ** 2 + 4 * x, lambda x: 6 * x + 4, "= 6x + 4"),
                                 (460, lambda x: 6 * x + 4, lambda x: 6 + 0 * x, "= 6 + 0"),
                                 (461, lambda x: 6 + 0 * x, lambda x: 0.0 * x, "= 0")):
        x = Value(x0, label="x")
        y = f(x) if line != 461 else Value.sum([6.0 + 0 * x])
        y.label = "y"
        a.formula(seed=T0, line=line, quote=snippet, claim="∂y/∂x", value=float(df(x0)), root=y,
                  note="checked at x = 0.7")


def concept_records(a):
    """000's prose: sentences that contradict the notes' own tables or the calculus (kind "concept"), each
    with the engine's number that settles it and the explanation."""
    loss, pred, g = a.loss, a.pred, lambda name: f"∂loss/∂{name}"
    p_false, p_true = pred[0].data, pred[1].data

    def concept(line, snippet, claim, written, engine, cause):
        a.add(seed=T0, line=line, quote=snippet, claim=claim, written=written, engine=engine, verdict="wrong",
              kinds=["concept"], cause=f"concept: {cause}")

    concept(119, "Instead, the network activated `true`.", "PRED[0]", "true", p_false,
            f"the table below (line 124) has PRED FALSE {p_false:.2f} > TRUE {p_true:.2f}: the network activated "
            f"false, the right answer for false & false (line 115); the error signal comes from the REAL row, "
            f"which puts 1.00 on TRUE")
    concept(134, "I think 51% of the time I see `false & false` I should respond with `true`.", "PRED[1]",
            "0.51", p_true, f"51% is PRED[FALSE] ({p_false:.2f}); the network gives true {p_true:.2f}")
    concept(172, "Finally, the Output Weights make the last transformation.", "RAW[0]", "RNO[0]",
            a.tt_nodes["RAW"][0].data, "the last transformation is the output bias, RAW = RNO + OB (line 171 "
            "already has the Output Weights); the list names the Output Weights twice and the Output Bias never")
    (b, local_b), = [(p, d) for p, d in _locals(a.tt_nodes["RAW"][0]) if p.label == "OB[0]"]
    concept(323, "Why doesn't dBO (the Output Bias Gradient) need to calculate a derivative,", "∂RAW[0]/∂OB[0]",
            "(no derivative)", claim_value(a.tt_nodes["RAW"][0], "∂RAW[0]/∂OB[0]"),
            f"dBO is a derivative, ∂loss/∂OB = ∂loss/∂RAW · ∂RAW/∂OB by the chain rule; it equals the error "
            f"signal because the local derivative ∂RAW/∂OB is {local_b:g}")
    dhb, dha, ha = claim_value(loss, g("HB[0]")), claim_value(loss, g("HA[0]")), a.tt_nodes["HA"][0].data
    concept(328, "Biases are added *after* any `activation` or transformation.", g("HB[0]"), "(after every activation)", dhb,
            f"the hidden bias is added before the tanh (HI = RNI + HB, HA = tanh(HI), the table's HI and HA), so "
            f"its gradient carries the activation's derivative: ∂loss/∂HB[0] = ∂loss/∂HA[0] · (1 − HA[0]²) = "
            f"{dha:.4g} · {1 - ha * ha:.4g}; only the output bias comes after every activation")
    concept(367, "If O1 (output `false`) is wrong, O2 (output `true`) must have been right.", g("RAW[1]"), "0",
            claim_value(loss, g("RAW[1]")),
            "with softmax both outputs are wrong together: ErrS = PRED − REAL sums to 0, so O2's error is "
            f"{claim_value(loss, g('RAW[1]')):+.2f} as O1's is {claim_value(loss, g('RAW[0]')):+.2f}, and both "
            "rows of dWO are corrected (lines 359-360)")
    dpred = claim_value(pred[0], "∂PRED[0]/∂HA[0]")
    concept(392, "we take the derivative", "∂PRED[0]/∂HA[0]", "0.0098", dpred,
            f"a gradient is the derivative of the loss, not of the error signal: dWO[0][0] = ∂loss/∂OW[0][0] = "
            f"ErrS[0] · HA[0] = {claim_value(loss, g('OW[0][0]')):.4f} by the chain rule through RAW[0]; the "
            f"derivative of ErrS[0] (= PRED[0] − REAL[0]) with respect to HA[0] is another number, {dpred:.4g}")
    concept(557, "Multiply the error signal at output 1 (ErrS[O1]) by the hidden activation HA[2].", g("OW[1][0]"),
            "-0.0147", claim_value(loss, g("OW[1][0]")),
            "neuron 2 is N2, HA[1] in the tables (N1 is HA[0]), as line 550's HA[N2] says; HA[2] and OW[2, 0] are "
            "N3's: with the notes' numbers ErrS[O1] · HA[2] = -0.49 · 0.03 = -0.0147 is the table's N3 entry, "
            f"while N2's weight to O1 (OW[1, 0]) has -0.49 · -0.03 = 0.0147 (the engine: "
            f"{claim_value(loss, g('OW[1][0]')):.4f} from the printed weights)")


def _locals(node):
    from micrograd_lite.explain import local_derivatives
    return local_derivatives(node)


def audit(seeds=SEEDS):
    """Every record (a list of dicts, see the module docstring), the notes in the order 004, 003, 001, 000."""
    a = Audit(seeds)
    mazur_records(a)
    makemore_records(a)
    truth_table_records(a)
    next_word_records(a)
    calculus_records(a)
    concept_records(a)
    return a.records


def summary(records):
    verdicts = {v: sum(r["verdict"] == v for r in records) for v in VERDICTS}
    kinds = {}
    for r in records:
        for k in r["kinds"]:
            kinds[k] = kinds.get(k, 0) + 1
    return verdicts, kinds


# The record shown for each kind in the default view, where the notes have a clearest example (seed, line).
SHOWCASE = {"decimal-shift": (M, 19), "other-node": (M, 33), "renumbered": (M, 468), "no-activation": (C3, 62),
            "paths-multiplied": (M, 582), "structure": (M, 45), "concept": (T0, 367), "shape": (T1, 51),
            "target": (T0, 125), "learning-rate": (T0, 229), "truncated": (M, 141), "rounding": (T1, 6)}
SEED_NAMES = {M: "004", C3: "003", T1: "001", T0: "000"}


def terminal_width():
    """`demos.cli.terminal_width()` (the terminal's, $COLUMNS first), at least 60."""
    return max(60, cli.terminal_width())


def _wrap(text, width, first="", rest="    ", lines=None):
    out = textwrap.wrap(" ".join(str(text).split()), width, initial_indent=first, subsequent_indent=rest,
                        break_long_words=True, break_on_hyphens=False) or [first.rstrip()]
    if lines is not None and len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:width - 1].rstrip() + "…"
    return out


def _engine(r):
    return r["engine"] if isinstance(r["engine"], str) else f"{r['engine']:.6g}"


def _counts(records, width):
    verdicts, kinds = summary(records)
    out = _wrap(f"{len(records)} records: " + ", ".join(f"{n} {v}" for v, n in verdicts.items()), width)
    out += _wrap("slips by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda x: (-x[1], x[0]))),
                 width)
    return out


def format_summary(records, width=None):
    """What a learner reads on one screen: the counts by verdict and by kind, then one slip of each kind
    (and a truncated and a rounding number) with its line, the notes' words and the cause."""
    width = terminal_width() if width is None else max(60, width)
    out = _wrap("The four seed notes, audited against the engine (every number, formula and a few sentences "
                "of prose).", width, rest="")
    out += _counts(records, width) + ["", "The most instructive slips:"]
    picks = []
    for kind, (seed, line) in SHOWCASE.items():
        match = [r for r in records if (kind in r["kinds"] or r["verdict"] == kind)]
        best = [r for r in match if (r["seed"], r["line"]) == (seed, line)] or match
        if best:
            picks.append((kind, best[0]))
    for kind, r in picks:
        head = f"- {kind}, {SEED_NAMES[r['seed']]} line {r['line']}: {r['quote']}"
        out += _wrap(head, width, rest="    ", lines=1)
        why = f". {r['cause']}" if r["cause"] else ""
        out += _wrap(f"written {r['written']}, engine {_engine(r)}{why}", width, first="    ", rest="    ", lines=2)
    out += ["", *_wrap("python demos/notes.py --all prints every record by line; --json the records as JSON.", width,
                       rest="")]
    return "\n".join(out)


def format_records(records, width=None):
    """The full audit, seed by seed and line by line, every line at most `width` (default: the terminal's)
    columns: each record's line number, claim, written and engine numbers and verdict, the quote, and the
    cause, wrapped."""
    width = terminal_width() if width is None else max(60, width)
    out = []
    for seed in (M, C3, T1, T0):
        mine = [r for r in records if r["seed"] == seed and r["verdict"] != "given"]
        given = sum(r["seed"] == seed and r["verdict"] == "given" for r in records)
        out += _wrap(f"== {seed}: {len(mine)} numbers, formulas and sentences checked ({given} more define the "
                     f"network) ==", width, rest="")
        for r in mine:
            kinds = f" [{', '.join(r['kinds'])}]" if r["kinds"] else ""
            out += _wrap(f"line {r['line']}: {r['claim']} written {r['written']}, engine {_engine(r)}: "
                         f"{r['verdict']}{kinds}", width, rest="    ")
            out += _wrap(f"“{r['quote']}”", width, first="    ", rest="    ", lines=2)
            if r["cause"]:
                out += _wrap(r["cause"], width, first="    ", rest="    ")
        out.append("")
    return "\n".join(out + _counts(records, width))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    view = ap.add_mutually_exclusive_group()
    view.add_argument("--all", action="store_true", help="print the full audit, every record by line")
    view.add_argument("--json", action="store_true", help="print one JSON list of records")
    ap.add_argument("--seeds", default=str(SEEDS), metavar="DIR", help=f"the seed notes (default {SEEDS})")
    args = ap.parse_args(argv)
    try:
        records = audit(args.seeds)
    except SeedsMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(f"notes.py: cannot read the seed notes in {args.seeds}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=1))
    elif args.all:
        print(format_records(records))
    else:
        print(format_summary(records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
