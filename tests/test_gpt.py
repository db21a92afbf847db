"""The GPT demo (demos/gpt.py): tokens, the model's loss and every gradient against independent float64
references (numpy always, PyTorch when installed), a case worked by hand, the static masked loss, sampling
and the command line."""

import json
import math
import random

import pytest

from demos import gpt
from demos import makemore
from micrograd_lite import cross_entropy

np = pytest.importorskip("numpy")  # the test extra installs it

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett"]
TINY = dict(vocab_size=27, n_layer=1, n_embd=8, n_head=2, block_size=4)


# ---- tokens -----------------------------------------------------------------------------------------------
def test_encode_begins_and_ends_with_bos_and_cuts_to_the_block():
    assert gpt.encode("emma") == [26, 4, 12, 12, 0, 26]
    assert gpt.encode("") == [26, 26]
    assert gpt.encode("abcdefgh", block_size=4) == [26, 0, 1, 2, 3]
    assert gpt.encode("abc", block_size=3) == [26, 0, 1, 2]
    assert gpt.encode("ab", block_size=3) == [26, 0, 1, 26]
    assert gpt.decode(gpt.encode("zoe")) == "zoe" and gpt.encode("z")[1] == 25


def test_encode_names_a_bad_character():
    with pytest.raises(ValueError, match=r"^encode: 'Emma' has 'E', not a letter a-z$"):
        gpt.encode("Emma")


def test_the_split_is_makemores_own_function():
    assert gpt.split_words is makemore.split_words
    assert gpt.load_words is makemore.load_words


# ---- the model --------------------------------------------------------------------------------------------
def test_weights_have_microgpts_names_shapes_and_scale():
    model = gpt.GPT(rng=0)
    shapes = {name: (len(rows), len(rows[0])) for name, rows in model.sd.items()}
    assert shapes == {"wte": (27, 16), "wpe": (16, 16), "lm_head": (27, 16), "layer0.attn_wq": (16, 16),
                      "layer0.attn_wk": (16, 16), "layer0.attn_wv": (16, 16), "layer0.attn_wo": (16, 16),
                      "layer0.mlp_fc1": (64, 16), "layer0.mlp_fc2": (16, 64)}
    assert len(model.parameters()) == 4192  # microgpt's count for this configuration
    assert model.sd["wte"] is model.wte.weight and model.sd["wpe"] is model.wpe.weight
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == "wte.0.0" and names[-1] == "layer0.mlp_fc2.15.63"
    xs = [p.data for p in model.parameters()]
    std = math.sqrt(sum(x * x for x in xs) / len(xs))
    assert 0.075 < std < 0.085 and abs(sum(xs) / len(xs)) < 0.005
    # microgpt's order of drawing: wte first, row by row
    rng = random.Random(0)
    assert [v.data for v in model.sd["wte"][0][:3]] == [rng.gauss(0.0, 0.08) for _ in range(3)]
    two = gpt.GPT(n_layer=2, rng=0)
    assert "layer1.mlp_fc1" in two.sd and len(two.parameters()) == 4192 + 12 * 16 * 16


def test_bad_sizes():
    with pytest.raises(ValueError, match=r"^GPT: n_embd 10 is not a multiple of n_head 4"):
        gpt.GPT(n_embd=10, n_head=4)
    with pytest.raises(ValueError, match=r"^GPT n_layer: must be at least 1, got 0$"):
        gpt.GPT(n_layer=0)
    with pytest.raises(TypeError, match=r"^GPT block_size: expected an int, got float 4.0$"):
        gpt.GPT(block_size=4.0)
    with pytest.raises(ValueError, match=r"^GPT: 12,582,983,680 parameters, more than micrograd_lite\.nn\.MAX_PARAMETERS"):
        gpt.GPT(n_layer=1000, n_embd=1024, n_head=1)
    model = gpt.GPT(**TINY, rng=0)
    with pytest.raises(ValueError, match=r"^GPT: expected 2 to 5 tokens \(block size 4\), got 6$"):
        model.loss([26, 0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="got 1$"):
        model.loss([26])
    with pytest.raises(IndexError, match=r"^GPT: token 1 is 27, outside the vocabulary \[0, 27\)$"):
        model.loss([26, 27])
    with pytest.raises(TypeError, match=r"^GPT: token 0 is float 26.0, not an int$"):
        model.loss([26.0, 1])


def _weights(model):
    return {name: np.array([[v.data for v in row] for row in rows]) for name, rows in model.sd.items()}


def reference_loss(W, tokens, n_layer, n_head):
    """The model written independently in numpy float64, over the whole sequence at once (a causal mask, not
    a KV cache)."""
    def rms(X):
        return X / np.sqrt(np.mean(X * X, axis=1, keepdims=True) + 1e-5)
    T = len(tokens) - 1
    X = rms(W["wte"][tokens[:-1]] + W["wpe"][:T])
    causal = np.tril(np.ones((T, T), dtype=bool))
    for i in range(n_layer):
        L = {k: W[f"layer{i}.{k}"] for k in ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")}
        R, Xn = X, rms(X)
        Q, K, V = Xn @ L["attn_wq"].T, Xn @ L["attn_wk"].T, Xn @ L["attn_wv"].T
        hd = X.shape[1] // n_head
        heads = []
        for h in range(n_head):
            s = slice(h * hd, (h + 1) * hd)
            S = np.where(causal, Q[:, s] @ K[:, s].T / math.sqrt(hd), -np.inf)
            P = np.exp(S - S.max(axis=1, keepdims=True))
            heads.append((P / P.sum(axis=1, keepdims=True)) @ V[:, s])
        X = np.concatenate(heads, axis=1) @ L["attn_wo"].T + R
        X = np.maximum(rms(X) @ L["mlp_fc1"].T, 0.0) @ L["mlp_fc2"].T + X
    Z = X @ W["lm_head"].T
    m = Z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))[:, 0]
    return float(np.mean(lse - Z[np.arange(T), tokens[1:]]))


@pytest.mark.parametrize("config,name", [(TINY, "emma"), (TINY, "ab"), (TINY, ""),
                                         (dict(TINY, n_layer=2, n_head=4), "olivia"), ({}, "isabella")])
def test_loss_equals_a_numpy_float64_reference(config, name):
    model = gpt.GPT(**config, rng=3)
    tokens = gpt.encode(name, model.block_size)
    assert model.loss(tokens).data == pytest.approx(
        reference_loss(_weights(model), tokens, model.n_layer, model.n_head), rel=1e-12, abs=1e-12)


def test_every_gradient_equals_central_differences_of_the_numpy_reference():
    model = gpt.GPT(**TINY, rng=1)
    tokens = gpt.encode("emma", model.block_size)
    model.loss(tokens).backward()
    W = _weights(model)
    h = 1e-6
    checked = 0
    for name, rows in model.sd.items():
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                x = W[name][i, j]
                W[name][i, j] = x + h
                up = reference_loss(W, tokens, model.n_layer, model.n_head)
                W[name][i, j] = x - h
                down = reference_loss(W, tokens, model.n_layer, model.n_head)
                W[name][i, j] = x
                assert v.grad == pytest.approx((up - down) / (2 * h), abs=1e-7), (name, i, j)
                checked += 1
    assert checked == len(model.parameters()) == 1232
    # rows never used get no gradient: 'emma' reads 4 distinct tokens and 4 positions
    assert all(v.grad == 0.0 for v in model.sd["wte"][25])


def test_a_one_dimensional_gpt_by_hand():
    """n_embd 1, one head, one position: attention over a single position has weight 1, so the block is
    x + wo wv rmsnorm(x), the query and key get no gradient, and rmsnorm(x) = x / sqrt(x^2 + 1e-5)."""
    model = gpt.GPT(vocab_size=2, n_layer=1, n_embd=1, n_head=1, block_size=1, rng=0)
    weights = {"wte": [[0.3], [-0.2]], "wpe": [[0.5]], "lm_head": [[0.7], [-0.4]], "layer0.attn_wq": [[0.9]],
               "layer0.attn_wk": [[-1.1]], "layer0.attn_wv": [[0.6]], "layer0.attn_wo": [[-0.8]],
               "layer0.mlp_fc1": [[1.0], [-0.5], [0.25], [2.0]], "layer0.mlp_fc2": [[0.5, 0.3, -1.5, 0.1]]}
    for name, rows in weights.items():
        for row, numbers in zip(model.sd[name], rows):
            for v, x in zip(row, numbers):
                v.data = x
    loss = model.loss([1, 0])  # token 1 at position 0 predicts token 0

    def rms(x):
        return x / math.sqrt(x * x + 1e-5)
    x1 = rms(-0.2 + 0.5)
    x2 = x1 + -0.8 * (0.6 * rms(x1))
    n = rms(x2)
    x3 = x2 + 0.5 * max(n, 0) + 0.3 * max(-0.5 * n, 0) - 1.5 * max(0.25 * n, 0) + 0.1 * max(2.0 * n, 0)
    z0, z1 = 0.7 * x3, -0.4 * x3
    expected = math.log(math.exp(z0) + math.exp(z1)) - z0
    assert loss.data == pytest.approx(expected, rel=1e-15)
    loss.backward()
    p0 = math.exp(z0) / (math.exp(z0) + math.exp(z1))
    assert model.sd["lm_head"][0][0].grad == pytest.approx((p0 - 1.0) * x3, rel=1e-14)
    assert model.sd["lm_head"][1][0].grad == pytest.approx((1.0 - p0) * x3, rel=1e-14)
    assert model.sd["layer0.attn_wq"][0][0].grad == 0.0 and model.sd["layer0.attn_wk"][0][0].grad == 0.0
    assert model.sd["wte"][0][0].grad == 0.0  # token 0 is only a target
    # fc1 row 1 and 2 are inactive (relu of a negative) when n > 0: no gradient
    assert n > 0 and model.sd["layer0.mlp_fc1"][1][0].grad == 0.0 and model.sd["layer0.mlp_fc1"][2][0].grad != 0.0


def test_loss_and_every_gradient_equal_a_torch_model_with_the_same_weights():
    torch = pytest.importorskip("torch", reason="torch is in no extra that `make test` installs (a large download)")
    F = torch.nn.functional
    for config, name in ((TINY, "emma"), ({}, "isabella"), (dict(TINY, n_layer=2, n_head=4), "ava")):
        model = gpt.GPT(**config, rng=5)
        tokens = gpt.encode(name, model.block_size)
        loss = model.loss(tokens)
        loss.backward()
        W = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in _weights(model).items()}

        def rms(X):
            return X * (X.pow(2).mean(-1, keepdim=True) + 1e-5).rsqrt()
        T = len(tokens) - 1
        idx, targets = torch.tensor(tokens[:-1]), torch.tensor(tokens[1:])
        X = rms(W["wte"][idx] + W["wpe"][:T])
        hd = model.n_embd // model.n_head
        for i in range(model.n_layer):
            p = f"layer{i}."
            R, Xn = X, rms(X)
            Q, K, V = (F.linear(Xn, W[p + w]).view(T, model.n_head, hd).transpose(0, 1)
                       for w in ("attn_wq", "attn_wk", "attn_wv"))
            A = F.scaled_dot_product_attention(Q, K, V, is_causal=True).transpose(0, 1).reshape(T, -1)
            X = F.linear(A, W[p + "attn_wo"]) + R
            X = F.linear(F.relu(F.linear(rms(X), W[p + "mlp_fc1"])), W[p + "mlp_fc2"]) + X
        reference = F.cross_entropy(F.linear(X, W["lm_head"]), targets)
        reference.backward()
        assert abs(loss.data - reference.item()) <= 1e-12
        for k, rows in model.sd.items():
            ours = np.array([[v.grad for v in row] for row in rows])
            assert np.max(np.abs(ours - W[k].grad.numpy())) <= 1e-12, k


# ---- the static graph for a compiler ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["emma", "", "abc", "abcdefgh"])
def test_masked_loss_of_a_padded_name_equals_the_loss_and_its_gradients(name):
    model = gpt.GPT(**TINY, rng=2)
    tokens = gpt.encode(name, model.block_size)
    loss = model.loss(tokens)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    inputs, targets, mask = model.pad(tokens)
    assert mask == [1.0] * (len(tokens) - 1) + [0.0] * (model.block_size + 1 - len(tokens))
    masked = model.masked_loss(inputs, targets, mask)
    masked.backward()
    assert masked.data == pytest.approx(loss.data, rel=1e-14)
    for g, p in zip(grads, model.parameters()):
        assert p.grad == pytest.approx(g, rel=1e-12, abs=1e-15)


def test_masked_loss_padding_does_not_leak_into_the_real_positions():
    model = gpt.GPT(**TINY, rng=2)
    inputs, targets, mask = model.pad(gpt.encode("ab", model.block_size))
    eye = np.eye(27).tolist()
    other = inputs[:3] + [eye[7]], targets[:3] + [eye[3]], mask
    assert model.masked_loss(*other).data == model.masked_loss(inputs, targets, mask).data
    with pytest.raises(ValueError, match="expected 4 inputs, targets and mask entries, got 3, 4, 4"):
        model.masked_loss(inputs[:3], targets, mask)


# ---- evaluation, sampling, training -----------------------------------------------------------------------
def test_evaluate_is_the_mean_per_character_cross_entropy():
    model = gpt.GPT(**TINY, rng=4)
    words = ["ab", "emma"]
    per_position = [v.data for w in words for v in model.position_losses(gpt.encode(w, 4))]
    assert len(per_position) == 3 + 4
    assert gpt.evaluate(model, words) == pytest.approx(sum(per_position) / 7, rel=1e-15)
    losses = model.position_losses(gpt.encode("ab", 4))
    assert losses[1].data == pytest.approx(cross_entropy([z.data for z in _logits(model, [26, 0])[1]], 1).data)


def _logits(model, tokens):
    cache = model.new_cache()
    return [model.logits(t, cache) for t in tokens]


def test_sampling_is_deterministic_with_a_seed_and_stays_in_the_block():
    model = gpt.GPT(**TINY, rng=0)
    first = gpt.sample(model, 30, random.Random(9))
    assert first == gpt.sample(model, 30, random.Random(9))
    assert first != gpt.sample(model, 30, random.Random(10))
    assert all(len(name) <= 4 and set(name) <= set(gpt.LETTERS) for name in first)
    assert any(len(name) == 4 for name in first) and any(len(name) < 4 for name in first)
    assert all(p.grad == 0.0 for p in model.parameters())  # no graph, no gradient


def test_training_follows_the_schedule_and_lowers_the_loss(capsys):
    model = gpt.GPT(**TINY, rng=0)
    before = gpt.evaluate(model, ["emma", "ava"])
    losses = gpt.train(model, ["emma", "ava"], 150, 0.01, random.Random(0), progress=False)
    lines = capsys.readouterr().out.splitlines()
    assert len(losses) == 150 and gpt.evaluate(model, ["emma", "ava"]) < before - 1.0
    assert lines[0] == f"step   100 / 150: loss {sum(losses[:100]) / 100:.4f} (mean of the last 100 names)"
    assert [line.split(":")[0] for line in lines] == ["step   100 / 150", "step   150 / 150"]
    assert lines[1].endswith("(mean of the last 50 names)")


# ---- the command line ------------------------------------------------------------------------------------
@pytest.fixture
def names_file(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("\n".join(WORDS) + "\n")
    return path


def test_main_trains_prints_samples_and_json(names_file, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    gpt.main(["--data", str(names_file), "--steps", "3", "--n-embd", "8", "--n-head", "2", "--block-size", "6",
              "--json", "--no-progress"])
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    result = json.loads(lines[-1])
    assert set(result) == {"dev_loss", "train_loss", "steps", "seconds", "parameters"}
    assert result["steps"] == 3 and result["parameters"] == len(gpt.GPT(27, 1, 8, 2, 6).parameters())
    assert 2.0 < result["dev_loss"] < 5.0
    assert "step     3 / 3: loss" in out and "samples: " in out
    # every line but the JSON fits 60 columns (a long temporary path cannot be broken)
    assert all(len(line) <= 60 for line in lines[:-1] if str(names_file) not in line)


def test_main_is_reproducible_with_a_seed(names_file, capsys):
    argv = ["--data", str(names_file), "--steps", "2", "--n-embd", "4", "--n-head", "1", "--block-size", "4",
            "--json", "--no-progress", "--seed", "7"]
    gpt.main(argv)
    first = capsys.readouterr().out.splitlines()
    gpt.main(argv)
    second = capsys.readouterr().out.splitlines()
    assert [line for line in first if "min" not in line][:-1] == [line for line in second if "min" not in line][:-1]
    assert json.loads(first[-1])["dev_loss"] == json.loads(second[-1])["dev_loss"]


@pytest.mark.parametrize("argv,message", [
    (["--n-embd", "10", "--n-head", "4"], "--n-embd 10 is not a multiple of --n-head 4"),
    (["--steps", "-1"], "argument --steps: must be >= 0, got -1"),
    (["--lr", "0"], "argument --lr: must be a finite number > 0, got 0"),
    (["--n-layer", "x"], "argument --n-layer: expected a whole number, got 'x'"),
    (["--block-size", "0"], "argument --block-size: must be at least 1, got 0"),
])
def test_bad_options_are_one_line_errors(argv, message, names_file, capsys):
    with pytest.raises(SystemExit) as exc:
        gpt.main(["--data", str(names_file)] + argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ") and err.splitlines()[-1].split(": error: ")[1].startswith(message)
    assert "Traceback" not in err


def test_bad_data_is_a_one_line_error(tmp_path):
    with pytest.raises(SystemExit) as exc:
        gpt.main(["--data", str(tmp_path / "missing.txt")])
    assert exc.value.code == f"gpt: --data {tmp_path / 'missing.txt'}: no such file"
    bad = tmp_path / "bad.txt"
    bad.write_text("Emma\n")
    with pytest.raises(SystemExit) as exc:
        gpt.main(["--data", str(bad)])
    assert exc.value.code.startswith("gpt: --data ") and "'E'" in exc.value.code


def test_the_progress_bar_fits_the_terminal(names_file, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    gpt.main(["--data", str(names_file), "--steps", "5", "--n-embd", "4", "--n-head", "1", "--block-size", "4"])
    err = capsys.readouterr().err
    frames = [frame for line in err.split("\n") for frame in line.split("\r") if frame.strip()]
    assert any("5/5" in frame for frame in frames)
    assert all(len(frame) <= 50 for frame in frames)


def test_a_diverging_engine_run_is_a_one_line_error(names_file):
    """`--lr 1e300` on the engine: the first update makes the weights blow up; training stops with one line
    naming the step (it used to end in a traceback from sampling on NaN weights)."""
    with pytest.raises(SystemExit) as exc:
        gpt.main(["--data", str(names_file), "--lr", "1e300", "--steps", "5", "--n-embd", "4", "--n-head", "1",
                  "--block-size", "4", "--no-progress"])
    assert exc.value.code.startswith("gpt: training diverged at step ")
    assert exc.value.code.endswith("; try a smaller --lr")


def test_engine_train_stops_before_the_update_that_would_follow_a_nan_loss():
    model = gpt.GPT(27, 1, 4, 1, 4, rng=random.Random(0))
    model.sd["lm_head"][0][0].data = math.nan  # read at every position: every logit row has a NaN
    before = [repr(p.data) for p in model.parameters()]
    with pytest.raises(gpt.Diverged, match=r"^training diverged at step 1: the batch loss is nan$"):
        gpt.train(model, ["emma"], 3, 0.01, random.Random(0), progress=False, log_every=0)
    assert [repr(p.data) for p in model.parameters()] == before  # the step's update was not applied
