"""The makemore MLP demo (demos/makemore.py): data pipeline, baselines, model, float forward, checkpoints
and the errors for bad data files."""

import json
import math
import random
import re
import sys
from pathlib import Path

import pytest

from demos import makemore as mm
from micrograd_lite import cross_entropy, load, no_grad, save

LN27 = math.log(27)
WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett"]


def _names_txt():
    """makemore's names.txt at shared/data/ in the repository's folder or one of its parents (CI has it at
    ../shared/data/names.txt from the repository root), or None."""
    root = Path(__file__).resolve().parents[1]
    for folder in [root, *root.parents]:
        path = folder / "shared" / "data" / "names.txt"
        if path.is_file():
            return path
    return None


NAMES_TXT = _names_txt()


@pytest.fixture
def names_file(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("\n".join(WORDS) + "\n")
    return path


def run(argv, capsys):
    """main(argv) -> (stdout, the final JSON line parsed)."""
    mm.main(argv + ["--json", "--no-progress"])
    out = capsys.readouterr().out
    return out, json.loads(out.strip().splitlines()[-1])


# ---- data -------------------------------------------------------------------------------------------------
def test_vocabulary():
    assert len(mm.VOCAB) == 27 and mm.stoi["."] == 0 and mm.stoi["a"] == 1 and mm.stoi["z"] == 26
    assert all(mm.itos[mm.stoi[ch]] == ch for ch in mm.VOCAB)


def test_contexts_of_emma():
    X, Y = mm.build_dataset(["emma"], block_size=3)
    assert X == [[0, 0, 0], [0, 0, 5], [0, 5, 13], [5, 13, 13], [13, 13, 1]]
    assert Y == [5, 13, 13, 1, 0]
    X, Y = mm.build_dataset(["ab", "c"], block_size=2)
    assert X == [[0, 0], [0, 1], [1, 2], [0, 0], [0, 3]] and Y == [1, 2, 0, 3, 0]


def test_split_sizes_and_makemore_recipe():
    train, dev, test = mm.split_words(WORDS)
    assert (len(train), len(dev), len(test)) == (16, 2, 2)
    assert sorted(train + dev + test) == sorted(WORDS)
    state = random.getstate()
    try:  # the recipe of makemore: random.seed(42); random.shuffle(words)
        words = list(WORDS)
        random.seed(42)
        random.shuffle(words)
    finally:
        random.setstate(state)
    assert train + dev + test == words
    X, _ = mm.build_dataset(train)
    assert len(X) == sum(len(w) + 1 for w in train)


def test_too_few_names_for_a_split():
    with pytest.raises(mm.DataError, match="at least 10 names"):
        mm.split_words(["ab", "cd", "ef"])


@pytest.mark.skipif(NAMES_TXT is None, reason="names.txt not found at shared/data/ above the repository")
def test_names_txt_split_matches_makemore():
    words, blank = mm.read_names(NAMES_TXT)
    assert (len(words), blank) == (32033, 0)
    train, dev, test = mm.split_words(words)
    assert (len(train), len(dev), len(test)) == (25626, 3203, 3204)
    sizes = [len(mm.build_dataset(part)[0]) for part in (train, dev, test)]
    assert sizes == [182625, 22655, 22866]
    assert mm.bigram_loss(train, dev) == pytest.approx(2.45, abs=0.01)


def test_census_names():
    words = mm.census_names()
    assert len(words) == 5163 == len(set(words))
    assert words[0] == "mary" and all(set(w) <= set("abcdefghijklmnopqrstuvwxyz") for w in words)


def test_read_names_strips_and_counts_blank_lines(tmp_path):
    path = tmp_path / "n.txt"
    path.write_text("emma\r\n  ava \n\n\nbo\n")
    assert mm.read_names(path) == (["emma", "ava", "bo"], 2)


# ---- bad data files: a clear error, nothing written ---------------------------------------------------------
def test_missing_file(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        mm.main(["--data", str(tmp_path / "nope.txt"), "--save", str(tmp_path / "m.json")])
    assert "nope.txt: no such file" in str(e.value.code)
    assert list(tmp_path.iterdir()) == [] and capsys.readouterr().out == ""


@pytest.mark.parametrize("text", ["", "\n  \n\n"])
def test_empty_file(tmp_path, capsys, text):
    (tmp_path / "empty.txt").write_text(text)
    with pytest.raises(SystemExit) as e:
        mm.main(["--data", str(tmp_path / "empty.txt"), "--save", str(tmp_path / "m.json")])
    assert "empty.txt: no names in it" in str(e.value.code)
    assert [p.name for p in tmp_path.iterdir()] == ["empty.txt"] and capsys.readouterr().out == ""


def test_bad_characters_are_reported_with_line_numbers(tmp_path, capsys):
    (tmp_path / "bad.txt").write_text("emma\nZoe\n\njo-ann\nava\nan.na\nrené\n")
    with pytest.raises(SystemExit) as e:
        mm.main(["--data", str(tmp_path / "bad.txt"), "--save", str(tmp_path / "m.json")])
    message = str(e.value.code)
    assert "4 of 6 names have characters outside the vocabulary" in message
    for expected in ["line 2: 'Zoe' has 'Z'", "line 4: 'jo-ann' has '-'", "line 6: 'an.na' has '.'",
                     "line 7: 'rené' has 'é'"]:
        assert expected in message
    assert "line 1" not in message and "line 5" not in message
    assert [p.name for p in tmp_path.iterdir()] == ["bad.txt"] and capsys.readouterr().out == ""


def test_line_numbers_are_the_files_lines_whatever_other_line_breaks_they_hold(tmp_path):
    # str.splitlines (and universal newlines) also split at \f, \v, \r, \x1c-\x1e, \x85, \u2028, \u2029: a
    # file's lines end at \n only (or \r\n), as an editor and grep -n count them.
    text = "emma\nab\fcd\nava\u2028bo\nzed\nx\ry\nmia\x85\vli\r\nolivia\u2029\x1c\nbo\r\n"
    (tmp_path / "odd.txt").write_bytes(text.encode("utf-8"))
    with pytest.raises(mm.DataError) as e:
        mm.read_names(tmp_path / "odd.txt")
    message = str(e.value)
    assert "4 of 8 names have characters outside the vocabulary" in message
    for expected in ["line 2: 'ab\\x0ccd' has '\\x0c'", "line 3: 'ava\\u2028bo' has '\\u2028'",
                     "line 5: 'x\\ry' has '\\r'", "line 6: 'mia\\x85\\x0bli' has '\\x0b', '\\x85'"]:
        assert expected in message, message
    assert "line 7" not in message  # its \u2029 and \x1c are trailing whitespace, stripped
    (tmp_path / "ok.txt").write_bytes(b"emma\r\n\r\nava\nbo")  # Windows line ends, no final newline
    assert mm.read_names(tmp_path / "ok.txt") == (["emma", "ava", "bo"], 1)


def test_many_bad_lines_show_the_first_few_and_a_count(tmp_path):
    (tmp_path / "bad.txt").write_text("".join(f"n{i}\n" for i in range(25)))
    with pytest.raises(mm.DataError) as e:
        mm.read_names(tmp_path / "bad.txt")
    message = str(e.value)
    assert "25 of 25 names" in message and "line 10: 'n9' has '9'" in message
    assert "line 11:" not in message and "... and 15 more lines" in message


def test_not_utf8(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("ren\xe9\n".encode("latin-1"))
    with pytest.raises(mm.DataError, match="latin1.txt: not UTF-8"):
        mm.read_names(tmp_path / "latin1.txt")


@pytest.mark.parametrize("compiled", [False, True], ids=["engine", "compiled"])
def test_a_diverging_run_stops_with_one_line_and_saves_finite_parameters(names_file, tmp_path, capsys, compiled):
    if compiled:
        pytest.importorskip("numpy")
    path = tmp_path / "m.json"
    with pytest.raises(SystemExit) as e:
        mm.main(["--data", str(names_file), "--lr", "1e300", "--steps", "30", "--hidden", "10", "--no-progress",
                 "--save", str(path)] + (["--compile"] if compiled else ["--engine"]))
    message = str(e.value.code)
    assert "\n" not in message and "Traceback" not in capsys.readouterr().err
    assert re.fullmatch(r"makemore: training diverged(: after step 30 the loss over the training set is \S+ and "
                        r"over dev \S+| at step \d+: (the batch loss is (nan|inf)|its update \(batch loss \S+\) made "
                        r"parameters infinite or NaN)); lr 1e\+300 is too large, try a smaller --lr; (saved the "
                        r"parameters it stopped at \(all finite\) to .*m\.json|the parameters are not finite, so "
                        r"nothing was saved to .*m\.json)", message), message
    if "saved the parameters" in message:
        model = load(mm.NameMLP(3, 10, rng=0), path)
        assert mm.all_finite(model)
    else:
        assert not path.exists()


def test_a_diverged_step_is_not_applied(names_file):
    X, Y = mm.build_dataset(mm.read_names(names_file)[0])
    model = mm.NameMLP(3, 10, rng=1)
    with pytest.raises(mm.Diverged, match=r"^training diverged at step (\d+): the batch loss is (nan|inf)$") as e:
        mm.train(model, X, Y, 50, 1e300, random.Random(0), progress=False)
    assert mm.all_finite(model) and e.value.step >= 2 and not math.isfinite(e.value.loss)
    with pytest.raises(mm.Diverged, match=r"^training diverged at step 1: its update \(batch loss 3\.\d+\) made "
                                          r"parameters infinite or NaN$"):
        mm.train(mm.NameMLP(3, 10, rng=1), X, Y, 5, math.inf, random.Random(0), progress=False)


def test_a_version_1_checkpoint_loads_with_a_one_line_note(names_file, tmp_path, capsys):
    model = mm.NameMLP(3, 10, rng=5)
    doc = {"format": "micrograd_lite.checkpoint", "version": 1, "parameters": model.state_dict()}
    (tmp_path / "v1.json").write_text(json.dumps(doc, indent=1))
    out, _ = run(["--data", str(names_file), "--hidden", "10", "--steps", "0", "--load", str(tmp_path / "v1.json")],
                 capsys)
    assert f"note: load: {tmp_path / 'v1.json'} is a version 1 checkpoint, which has no checksum" in out.replace("\n  ", " ")


@pytest.mark.parametrize("option", [["--block-size", "1000000000"], ["--emb", "100000000"], ["--hidden", "100000000"]])
def test_absurd_model_sizes_are_one_line_before_any_work(names_file, tmp_path, capsys, option):
    with pytest.raises(SystemExit) as e:
        mm.main(["--data", str(names_file), "--save", str(tmp_path / "m.json"), "--no-progress"] + option)
    message = str(e.value.code)
    assert re.fullmatch(r"makemore: --emb \d+ --hidden \d+ --block-size \d+ make a model too large: \w+\(.*\): [\d,]+ "
                        r"parameters, more than micrograd_lite\.nn\.MAX_PARAMETERS = 10,000,000; .* \(nothing was "
                        r"written\)", message), message
    assert [p.name for p in tmp_path.iterdir()] == ["names.txt"] and capsys.readouterr().out == ""


def test_a_checkpoint_of_non_finite_parameters_is_refused_before_training(names_file, tmp_path):
    model = mm.NameMLP(3, 10, rng=0)
    model.hidden.neurons[0].b.data = math.nan
    save(model, tmp_path / "nan.json")
    with pytest.raises(SystemExit) as e:
        mm.main(["--data", str(names_file), "--hidden", "10", "--load", str(tmp_path / "nan.json"), "--no-progress"])
    assert str(e.value.code) == (f"makemore: --load {tmp_path / 'nan.json'}: the checkpoint holds parameters that are "
                                 f"infinite or NaN; nothing can be trained or sampled from it")


def test_save_into_a_missing_folder_fails_before_training(names_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        mm.main(["--data", str(names_file), "--save", str(tmp_path / "no" / "m.json")])
    assert "does not exist" in str(e.value.code) and capsys.readouterr().out == ""


# ---- baselines ------------------------------------------------------------------------------------------------
def test_bigram_baseline_by_hand():
    # Trained on 'ab': counts .->a, a->b, b->. are 1, everything else 0; add-one gives 2/28 and 1/28.
    assert mm.bigram_loss(["ab"], ["ab"]) == pytest.approx(math.log(14), abs=1e-15)
    # 'a' is scored on .->a (2/28) and a->. (1/28).
    assert mm.bigram_loss(["ab"], ["a"]) == pytest.approx((math.log(14) + math.log(28)) / 2, abs=1e-15)
    # Add-two: each seen pair gets 3/55.
    assert mm.bigram_loss(["ab"], ["ab"], smoothing=2) == pytest.approx(math.log(55 / 3), abs=1e-15)
    with pytest.raises(ValueError, match="smoothing must be > 0"):
        mm.bigram_loss(["ab"], ["ab"], smoothing=0)


# ---- the model ------------------------------------------------------------------------------------------------
def test_initial_loss_is_near_ln27():
    model = mm.NameMLP(emb=3, hidden=30, rng=0)
    X, Y = mm.build_dataset(WORDS)
    loss = cross_entropy(model(X[:64]), Y[:64])
    assert abs(loss.data - LN27) < 0.05
    assert abs(mm.evaluate(model, X, Y) - LN27) < 0.05
    assert len(model.parameters()) == 27 * 3 + (9 * 30 + 30) + (30 * 27 + 27)


def test_float_forward_agrees_with_the_value_forward():
    model = mm.NameMLP(emb=4, hidden=12, rng=3, output_scale=1.0)  # full-size output: logits far from 0
    X, Y = mm.build_dataset(WORDS[:6])
    f = mm.FloatForward(model)
    with no_grad():
        logits = model(X)
        loss = cross_entropy(logits, Y).data
    for x, row in zip(X, logits):
        assert f.logits(x) == pytest.approx([v.data for v in row], abs=1e-12)
    assert mm.evaluate(model, X, Y) == pytest.approx(loss, abs=1e-12)
    assert loss > 0.5  # not a trivially small number


def test_array_forward_evaluation_and_sampling_agree_with_the_float_forward(monkeypatch):
    np = pytest.importorskip("numpy")
    model = mm.NameMLP(emb=4, hidden=12, rng=3, output_scale=1.0)
    X, Y = mm.build_dataset(WORDS)
    f, a = mm.FloatForward(model), mm.ArrayForward.of_model(model, np)
    assert a.logits(np.array(X)).tolist() == [pytest.approx(f.logits(x), abs=1e-12) for x in X]
    shuffled = list(reversed(model.parameters()))  # a vector in another order than the model's
    p = np.array([v.data for v in shuffled])
    v = mm.ArrayForward.of_vector(model, p, mm.ArrayForward.positions(model, shuffled, np), np)
    assert v.logits(np.array(X)).tolist() == a.logits(np.array(X)).tolist()
    on_arrays = [mm.evaluate(model, X, Y), mm.evaluate(model, np.array(X), np.array(Y), v)]
    names = mm.sample(model, 20, random.Random(7))
    monkeypatch.setattr(mm, "_numpy", lambda: None)  # plain floats
    assert on_arrays == [pytest.approx(mm.evaluate(model, X, Y), abs=1e-12)] * 2
    assert mm.sample(model, 20, random.Random(7)) == names
    with pytest.raises(ValueError, match="a parameter of the model is not in the vector"):
        mm.ArrayForward.positions(model, shuffled[1:], np)


def test_a_few_steps_lower_the_loss():
    X, Y = mm.build_dataset(["emma", "ava", "bob"])
    model = mm.NameMLP(emb=2, hidden=10, rng=0)
    before = mm.evaluate(model, X, Y)
    losses = mm.train(model, X, Y, steps=40, lr=0.5, rng=random.Random(0), progress=False)
    after = mm.evaluate(model, X, Y)
    assert len(losses) == 40 and after < before - 1.0


def test_learning_rate_schedule():
    assert [mm.learning_rate(s, 8, 0.4) for s in range(8)] == [0.4] * 6 + [pytest.approx(0.04)] * 2


def test_sampling_gives_names_in_the_vocabulary():
    model = mm.NameMLP(emb=2, hidden=5, rng=0)
    names = mm.sample(model, 20, random.Random(7))
    assert len(names) == 20 and names == mm.sample(model, 20, random.Random(7))
    assert all(set(n) <= set(mm.VOCAB[1:]) and len(n) <= mm.MAX_SAMPLE_LENGTH for n in names)
    assert len(set(names)) > 1


# ---- the program: save / load, JSON -------------------------------------------------------------------------
def test_save_load_round_trip_is_exact(names_file, tmp_path, capsys):
    small = ["--data", str(names_file), "--emb", "2", "--hidden", "6", "--eval-every", "0"]
    path = tmp_path / "model.json"
    out, trained = run(small + ["--steps", "5", "--save", str(path)], capsys)
    assert "the bigram's" in out and "samples: " in out and path.is_file()
    assert set(trained) == {"train_loss", "dev_loss", "bigram_dev_loss", "steps", "seconds", "parameters"}
    assert trained["steps"] == 5 and trained["parameters"] == 27 * 2 + (6 * 6 + 6) + (6 * 27 + 27)
    _, loaded = run(small + ["--steps", "0", "--load", str(path), "--seed", "9"], capsys)
    assert (loaded["train_loss"], loaded["dev_loss"]) == (trained["train_loss"], trained["dev_loss"])

    a = mm.NameMLP(emb=2, hidden=6, rng=1)
    b = mm.NameMLP(emb=2, hidden=6, rng=2)
    mm.micrograd_lite.save(a, tmp_path / "a.json")
    mm.micrograd_lite.load(b, tmp_path / "a.json")
    assert b.state_dict() == a.state_dict()


def test_load_into_a_different_shape_is_a_clear_error(names_file, tmp_path, capsys):
    path = tmp_path / "model.json"
    mm.micrograd_lite.save(mm.NameMLP(emb=2, hidden=6, rng=1), path)
    with pytest.raises(SystemExit) as e:
        mm.main(["--data", str(names_file), "--emb", "2", "--hidden", "7", "--load", str(path)])
    message = str(e.value.code)
    assert "does not fit NameMLP(emb=2, hidden=7, block_size=3)" in message and len(message) < 600


# ---- the command line: bad values, wording, widths ------------------------------------------------------------
BAD_OPTIONS = [
    (["--block-size", "0"], "makemore.py: error: argument --block-size: must be at least 1, got 0"),
    (["--emb", "two"], "makemore.py: error: argument --emb: expected a whole number, got 'two'"),
    (["--hidden", "-3"], "makemore.py: error: argument --hidden: must be at least 1, got -3"),
    (["--steps", "-1"], "makemore.py: error: argument --steps: must be >= 0, got -1"),
    (["--lr", "inf"], "makemore.py: error: argument --lr: must be a finite number > 0, got inf"),
    (["--lr", "0"], "makemore.py: error: argument --lr: must be a finite number > 0, got 0"),
    (["--seed", "1.5"], "makemore.py: error: argument --seed: invalid int value: '1.5'"),
    (["--lr", "fast"], "makemore.py: error: argument --lr: expected a number, got 'fast'"),
    (["--eval-every", "-5"], "makemore.py: error: argument --eval-every: must be >= 0, got -5"),
    (["--data", "nope.txt"], "makemore: --data nope.txt: no such file (nothing was written)"),
    (["--data", "."], "makemore: --data .: is a directory, expected a file of one name per line "
                      "(nothing was written)"),
    (["--save", "no/m.json"], "makemore: --save no/m.json: folder {tmp}/no does not exist (nothing was written)"),
    (["--save", "."], "makemore: --save .: is a folder; give a file name such as model.json"),
    (["--load", "nope.json"], "makemore: --load nope.json: no such file"),
]


@pytest.mark.parametrize("argv, message", BAD_OPTIONS)
def test_every_bad_option_value_is_one_line_and_no_traceback(argv, message, names_file, tmp_path, option_error):
    data = [] if "--data" in argv else ["--data", str(names_file)]
    steps = [] if "--steps" in argv else ["--steps", "0", "--no-progress"]
    assert option_error(mm, [*data, *argv, *steps]).startswith(message.format(tmp=tmp_path))


def test_an_empty_sampled_name_is_shown_as_such():
    assert mm.format_samples(["ava", "", "bo"]) == "ava (empty) bo"


def test_progress_bar_labels_its_loss_as_the_last_batchs(names_file, capsys):
    mm.main(["--data", str(names_file), "--steps", "3", "--hidden", "4", "--eval-every", "0"])
    captured = capsys.readouterr()
    assert "last batch loss " in captured.err and "loss=" not in captured.err
    assert "train loss " in captured.out and "training examples, not the last batch)" in captured.out


def test_output_fits_120_columns(names_file, capsys):
    out, _ = run(["--data", str(names_file), "--steps", "5", "--hidden", "4"], capsys)
    assert max(len(line) for line in out.splitlines()[:-1]) <= 120  # all but the JSON line
    assert "samples: " in out


# ---- --compile: the batched step ----------------------------------------------------------------------------
def test_compile_trains_the_same_model_as_the_scalar_path(names_file, capsys, tmp_path):
    pytest.importorskip("numpy")
    argv = ["--data", str(names_file), "--steps", "30", "--emb", "2", "--hidden", "5", "--decay-at", "0.5"]
    _, scalar = run(argv + ["--engine", "--save", str(tmp_path / "a.json")], capsys)
    out, compiled = run(argv + ["--compile", "--save", str(tmp_path / "b.json")], capsys)
    _, default = run(argv + ["--save", str(tmp_path / "c.json")], capsys)
    assert default == {**compiled, "seconds": default["seconds"]}  # numpy is installed: batched by default
    assert abs(compiled["dev_loss"] - scalar["dev_loss"]) <= 1e-9
    assert abs(compiled["train_loss"] - scalar["train_loss"]) <= 1e-9
    assert "samples: " in out and "then 0.05 from step 15" in out


def test_compile_without_numpy_names_the_extra(names_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(SystemExit) as e:
        mm.main(["--data", str(names_file), "--steps", "2", "--compile", "--no-progress"])
    assert str(e.value) == ("makemore: --compile: compile(..., batch=True) needs numpy: "
                            "pip install micrograd_lite[fast]")


def test_engine_run_says_how_long_it_will_take_before_it_starts(names_file, capsys, monkeypatch):
    argv = ["--data", str(names_file), "--steps", "4", "--hidden", "4", "--eval-every", "0"]
    out, _ = run(argv + ["--engine"], capsys)
    text = " ".join(out.split())  # unwrapped
    assert re.search(r"training on the engine \(--engine\): expect about \d+ s for 4 steps \(\d+ ms a step, the "
                     r"median of 3 steps timed just now, evaluations not included\) step 4: dev loss", text), text
    batched, _ = run(argv, capsys)
    assert "training on the engine" not in batched
    monkeypatch.setitem(sys.modules, "numpy", None)  # without numpy the default is the engine, and it says why
    out, _ = run(argv, capsys)
    assert "training on the engine (numpy is not installed; pip install micrograd_lite[fast] for the batched " \
           "step): expect about" in " ".join(out.split())


def test_engine_and_compile_exclude_each_other(names_file, option_error):
    assert "not allowed with argument" in option_error(mm, ["--data", str(names_file), "--engine", "--compile"])


def test_decay_at_must_be_a_fraction(names_file, option_error):
    assert "must be between 0 and 1, got 1.5" in option_error(mm, ["--data", str(names_file), "--decay-at", "1.5"])


# ---- --plot --------------------------------------------------------------------------------------------------
def test_plot_draws_train_and_dev_loss(names_file, tmp_path, capsys):
    import numpy as np
    from matplotlib import colors, image

    path = tmp_path / "loss.png"
    mm.main(["--data", str(names_file), "--steps", "20", "--hidden", "4", "--eval-every", "10", "--no-progress",
             "--plot", str(path)])
    assert capsys.readouterr().out.splitlines()[-1] == f"Plot: wrote {path} (train and dev loss by step)"
    rgb = image.imread(path)[:, :, :3]
    assert rgb.shape == (450, 700, 3)  # 7 x 4.5 inches at 100 dpi
    assert rgb.std() > 0.05  # not blank
    # each batch's loss (a thin, antialiased line: few pixels of its exact colour), the running mean, dev
    for colour, least in (("#9ecae1", 3), ("#08519c", 50), ("#d62728", 50)):
        assert (np.abs(rgb - colors.to_rgb(colour)).max(axis=2) < 0.02).sum() >= least, colour


@pytest.mark.filterwarnings("ignore:No artists with labels")  # plot is replaced: the legend has nothing
def test_plot_running_mean_is_over_the_window(tmp_path, monkeypatch):
    import matplotlib.axes

    drawn = []
    monkeypatch.setattr(matplotlib.axes.Axes, "plot", lambda self, *a, **k: drawn.append(a))
    assert mm.write_plot([4.0, 2.0, 0.0, 6.0], [(4, 1.5)], tmp_path / "p.png", window=2).startswith("Plot: wrote")
    assert list(drawn[1][1]) == [4.0, 3.0, 1.0, 3.0]
    assert drawn[2][:2] == ((4,), (1.5,))


def test_bad_plot_path_is_one_line_before_training(names_file, option_error):
    assert option_error(mm, ["--data", str(names_file), "--plot", "loss.svg"]).startswith(
        "makemore.py: error: argument --plot: 'loss.svg': the picture is a PNG; give a name ending in .png")


def test_plot_has_the_two_baselines_and_its_legend_clear_of_the_data(tmp_path, monkeypatch):
    import matplotlib.figure

    seen = {}
    save = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        ax = fig.axes[0]
        fig.canvas.draw()
        seen["legend"] = [t.get_text() for t in ax.get_legend().get_texts()]
        seen["inside"] = ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())
        seen["levels"] = [line.get_ydata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
        return save(fig, *args, **kwargs)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    mm.write_plot([4.0, 3.0, 2.5, 2.4], [(4, 2.6)], tmp_path / "p.png", window=2, uniform=math.log(27),
                  bigram=2.45)
    assert "uniform baseline: ln 27 = 3.296" in seen["legend"] and "bigram baseline (dev) = 2.450" in seen["legend"]
    assert seen["levels"] == [pytest.approx(math.log(27)), 2.45]
    assert not seen["inside"]  # below the axes: no corner of the curve is hidden
