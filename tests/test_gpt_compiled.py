"""The GPT demo's compiled path (demos/gpt.py --compile) and its explanation (--explain): the batched
compiled loss and every gradient against the engine on names of different lengths (padding), batched
evaluation against the engine's, compiled training against the same schedule on the engine, and the command
line."""

import json
import random
import sys

import pytest

from demos import gpt
from micrograd_lite import Adam, Value

np = pytest.importorskip("numpy")  # the test extra installs it

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett"]
SMALL = dict(vocab_size=27, n_layer=2, n_embd=8, n_head=2, block_size=6)
# every length from the empty name to one cut at the block size; "abcdefgh" is longer than the block
NAMES = ["", "a", "zo", "ava", "emma", "sofia", "abcdefgh", "mia"]


def _engine_mean_loss(model, names):
    """The mean over `names` of `model.loss`, built and backpropagated on the engine: (loss, grads)."""
    model.zero_grad()
    losses = [model.loss(gpt.encode(n, model.block_size)) for n in names]
    loss = Value.sum(losses) * (1.0 / len(losses))
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    return loss.data, grads


def _close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def test_padded_batch_is_pad_row_by_row():
    model = gpt.GPT(**SMALL, rng=0)
    tokens, positions = gpt.padded_tokens(NAMES, model.block_size)
    assert tokens.shape == (len(NAMES), 7) and positions.tolist() == [1, 2, 3, 4, 5, 6, 6, 4]
    inputs, targets, mask = gpt.padded_batch(model, tokens, positions)
    assert inputs.shape == targets.shape == (len(NAMES), 6, 27) and mask.shape == (len(NAMES), 6)
    for i, name in enumerate(NAMES):
        rows = model.pad(gpt.encode(name, model.block_size))
        assert inputs[i].tolist() == rows[0] and targets[i].tolist() == rows[1] and mask[i].tolist() == rows[2]
    with pytest.raises(ValueError, match=r"^encode: 'Bo' has 'B', not a letter a-z$"):
        gpt.padded_tokens(["ab", "Bo"], 6)


@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_loss_and_every_gradient_equal_the_engines(seed):
    model = gpt.GPT(**SMALL, rng=seed)
    step = gpt.compile_loss(model)
    assert set(step.params) == set(model.parameters())  # every weight reaches the loss
    engine_loss, engine_grads = _engine_mean_loss(model, NAMES)
    tokens, positions = gpt.padded_tokens(NAMES, model.block_size)
    loss = step(*gpt.padded_batch(model, tokens, positions))
    assert _close(loss, engine_loss)
    for (name, p), g in zip(model.named_parameters(), engine_grads):
        assert _close(p.grad, g), name
    assert any(g != 0.0 for g in engine_grads)


def test_compiled_loss_holds_far_from_the_traced_example():
    """Scores of size ~50: a shift frozen at trace time (softmax's largest score) would be far from the
    data here; the attention weights are exp(s - logsumexp(s)), with no such constant."""
    model = gpt.GPT(**SMALL, rng=3)
    for row in model.sd["layer0.attn_wq"] + model.sd["layer0.attn_wk"]:
        for v in row:
            v.data *= 25.0
    step = gpt.compile_loss(model)
    constants = {n.data for n, kind in step.trace.kind.items() if kind == "constant"}
    # rmsnorm's 1e-5, 1/n_embd and power -0.5, the scores' 1/sqrt(head dim): no score-sized number
    assert constants <= {1e-5, 1.0 / 8, -0.5, 1.0 / 4 ** 0.5}, constants
    engine_loss, engine_grads = _engine_mean_loss(model, NAMES)
    loss = step(*gpt.padded_batch(model, *gpt.padded_tokens(NAMES, model.block_size)))
    assert engine_loss > 3.0 and _close(loss, engine_loss)
    for p, g in zip(model.parameters(), engine_grads):
        assert _close(p.grad, g)


def test_attention_weights_are_softmax():
    scores = [Value(x) for x in (0.3, -1.2, 40.0, 2.5)]
    weights = gpt.attention_weights(scores)
    e = np.exp(np.array([s.data for s in scores]) - 40.0)
    assert np.allclose([w.data for w in weights], e / e.sum(), rtol=1e-14, atol=1e-300)
    assert {w.op for w in weights} == {"exp"} and {w.parents[0].op for w in weights} == {"-"}
    assert {w.parents[0].parents[1].op for w in weights} == {"logsumexp"}  # one fused node, no number


def test_batched_evaluation_equals_the_engines():
    model = gpt.GPT(**SMALL, rng=5)
    words = NAMES + WORDS
    step = gpt.compile_loss(model)
    engine = gpt.evaluate(model, words)
    assert _close(gpt.evaluate_compiled(model, words, step), engine)
    assert _close(gpt.evaluate_compiled(model, words, step, chunk=3), engine)  # groups split into chunks
    assert _close(gpt.evaluate_compiled(model, words), engine)  # compiled there
    assert all(p.grad == 0.0 for p in model.parameters())


def test_compiled_training_is_the_engines_schedule_on_batches(capsys):
    """train_compiled against the same batches, mean losses and Adam steps built on the engine."""
    steps, lr, batch = 6, 0.02, 4
    compiled, engine = gpt.GPT(**SMALL, rng=7), gpt.GPT(**SMALL, rng=7)
    losses = gpt.train_compiled(compiled, WORDS, steps, lr, random.Random(3), batch, progress=False,
                                log_every=4)
    order = list(WORDS)
    random.Random(3).shuffle(order)
    opt = Adam(engine.parameters(), lr=lr, betas=gpt.BETAS, eps=gpt.ADAM_EPS)
    expected = []
    for k in range(steps):
        names = [order[(k * batch + i) % len(order)] for i in range(batch)]
        opt.zero_grad()
        loss = Value.sum([engine.loss(gpt.encode(n, engine.block_size)) for n in names]) * (1.0 / batch)
        loss.backward()
        opt.lr = lr * (1.0 - k / steps)
        opt.step()
        expected.append(loss.data)
    assert all(_close(a, b, 1e-10) for a, b in zip(losses, expected)) and len(losses) == steps
    for (name, p), q in zip(compiled.named_parameters(), engine.parameters()):
        assert _close(p.data, q.data, 1e-10), name
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"step     4 / 6: loss {sum(losses[:4]) / 4:.4f} (mean of the last 4 batches of 4)",
                     f"step     6 / 6: loss {sum(losses[4:]) / 2:.4f} (mean of the last 2 batches of 4)"]
    assert losses[-1] < losses[0]


# ---- explain ----------------------------------------------------------------------------------------------
def test_explain_adds_up_to_the_engines_gradient_and_leaves_no_labels():
    model = gpt.GPT(**SMALL, rng=1)
    model.sd["wte"][4][0].grad = 0.25  # left as it was
    text = gpt.explain(model)
    assert [p.grad for p in model.parameters()] == [0.25 if p is model.sd["wte"][4][0] else 0.0
                                                   for p in model.parameters()]
    model.zero_grad()
    loss = model.loss(gpt.encode("emma", model.block_size))
    loss.backward()
    grad = model.sd["wte"][4][0].grad  # 'e' is token 4
    assert text.splitlines()[-1] == f"{' ' * len('∂loss/∂wte[e][0]')} = {grad:.6f}"
    assert "∂loss/∂wte[e][0] = ∂loss/∂wte[e][0]" in text
    assert "+ ∂loss/∂a[4,1] × ∂a[4,1]/∂wte[e][0]" in text
    assert "Head 0 of layer 0 at position 4 (input 'a') attends to the positions 0..4" in text
    rows = [line.split() for line in text.splitlines() if line.split()[:1] in (["0"], ["1"], ["2"], ["3"], ["4"])]
    assert [r[:2] for r in rows] == [["0", "BOS"], ["1", "e"], ["2", "m"], ["3", "m"], ["4", "a"]]
    assert abs(sum(float(r[2]) for r in rows) - 1.0) <= 5e-6  # the weights sum to 1
    assert all(p.label is None for p in model.parameters())


def test_explain_refuses_what_it_cannot_show():
    model = gpt.GPT(**SMALL, rng=1)
    with pytest.raises(ValueError, match="occurs at other positions too"):
        gpt.explain(model, "anna", s=1)  # 'n' at positions 2 and 3... and 'a' at 1 and 4
    with pytest.raises(ValueError, match=r"^explain: positions"):
        gpt.explain(model, "emma", t=9)
    with pytest.raises(ValueError, match=r"^explain: head 2 outside 0..1$"):
        gpt.explain(model, head=2)


@pytest.mark.parametrize("columns", [40, 60, 100])
def test_explain_command_fits_the_terminal(columns, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(columns))
    gpt.main(["--explain", "--n-embd", "8", "--n-head", "2"])
    out = capsys.readouterr().out
    assert all(len(line) <= columns for line in out.splitlines())
    assert "∂loss/∂wte[e][0] = ∂loss/∂wte[e][0]" in out
    assert out.rstrip().splitlines()[-1].strip().startswith("= ")


# ---- the command line ------------------------------------------------------------------------------------
@pytest.fixture
def names_file(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("\n".join(WORDS * 10) + "\n")
    return path


def test_main_compile_trains_evaluates_and_samples(names_file, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "70")
    argv = ["--data", str(names_file), "--compile", "--steps", "30", "--n-embd", "8", "--n-head", "2",
            "--block-size", "8", "--batch-size", "16", "--lr", "0.02", "--json", "--no-progress"]
    gpt.main(argv)
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["steps"] == 30 and result["parameters"] == len(gpt.GPT(27, 1, 8, 2, 8).parameters())
    assert "30 steps of batches of 16 names (compiled), Adam lr 0.02" in out.replace("\n  ", " ")
    assert "step    30 / 30: loss" in out and "samples: " in out
    assert all(len(line) <= 70 for line in lines[:-1] if str(names_file) not in line)
    assert 1.0 < result["dev_loss"] < 3.3 and 1.0 < result["train_loss"] < 3.3  # ln 27 = 3.30 untrained


def test_main_compile_defaults(names_file):
    args = gpt.parse_args(["--compile"])
    assert {k: getattr(args, k) for k in gpt.COMPILED} == gpt.COMPILED
    args = gpt.parse_args([])
    assert {k: getattr(args, k) for k in gpt.ENGINE} == gpt.ENGINE and args.batch_size is None
    args = gpt.parse_args(["--compile", "--n-embd", "16", "--steps", "5"])
    assert args.n_embd == 16 and args.steps == 5 and args.batch_size == gpt.COMPILED["batch_size"]


@pytest.mark.parametrize("argv,message", [
    (["--batch-size", "8"], "--batch-size needs --compile"),
    (["--compile", "--batch-size", "0"], "argument --batch-size: must be at least 1, got 0"),
    (["--compile", "--n-embd", "30"], "--n-embd 30 is not a multiple of --n-head 4"),
    (["--explain", "--compile"], "--explain shows the engine's graph"),
])
def test_bad_options_are_one_line_errors(argv, message, names_file, capsys):
    with pytest.raises(SystemExit) as exc:
        gpt.main(["--data", str(names_file)] + argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ") and err.splitlines()[-1].split(": error: ")[1].startswith(message)
    assert "Traceback" not in err


def test_explain_with_too_short_a_block_is_a_one_line_error():
    with pytest.raises(SystemExit) as exc:
        gpt.main(["--explain", "--block-size", "1"])
    assert exc.value.code.startswith("gpt: explain: ") and "\n" not in exc.value.code


def test_compile_without_numpy_names_the_extra(names_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy raises ImportError
    with pytest.raises(SystemExit) as exc:
        gpt.main(["--data", str(names_file), "--compile", "--steps", "1", "--n-embd", "4", "--n-head", "1",
                  "--block-size", "4", "--no-progress"])
    assert exc.value.code == "gpt: --compile: compile(..., batch=True) needs numpy: pip install micrograd_lite[fast]"


def test_the_readmes_explain_output_is_the_commands(capsys, monkeypatch):
    from pathlib import Path
    readme = (Path(__file__).resolve().parent.parent / "docs" / "gpt.md").read_text(encoding="utf-8")
    section = readme[readme.index("How a gradient reaches the embedding table: `--explain`"):]
    shown = section[section.index("```text\n") + len("```text\n"):section.index("```\n", section.index("```text"))]
    monkeypatch.setenv("COLUMNS", "100")
    gpt.main(["--explain"])
    assert capsys.readouterr().out == shown


def test_a_diverging_compiled_run_is_a_one_line_error(names_file, capsys):
    with pytest.raises(SystemExit) as exc:
        gpt.main(["--data", str(names_file), "--compile", "--lr", "1e300", "--steps", "5", "--n-embd", "4",
                  "--n-head", "1", "--block-size", "4", "--no-progress"])
    assert exc.value.code.startswith("gpt: training diverged at step ")
    assert exc.value.code.endswith(": the batch loss is nan; try a smaller --lr")
    assert "Warning" not in capsys.readouterr().err  # numpy's overflow warnings are not repeated


def test_train_compiled_stops_before_the_update_that_would_follow_a_nan_loss():
    model = gpt.GPT(**SMALL, rng=0)
    model.sd["lm_head"][0][0].data = float("nan")
    before = [p.data for p in model.parameters()]
    with pytest.raises(gpt.Diverged, match=r"^training diverged at step 1: the batch loss is nan$"):
        gpt.train_compiled(model, WORDS, 3, 0.01, random.Random(0), 4, progress=False)
    after = [p.data for p in model.parameters()]
    assert [a for a in after if a == a] == [b for b in before if b == b] and sum(a != a for a in after) == 1
