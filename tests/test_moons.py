"""demos/moons.py: micrograd's moons demo reaches 100 % as micrograd's does, and its PNG shows the decision
boundary (size, not blank, both classes' colours, read back pixel by pixel)."""

import matplotlib
import numpy as np
import pytest

from demos import moons

matplotlib.use("Agg")
from matplotlib import colors  # noqa: E402
from matplotlib import image  # noqa: E402

RED, BLUE = (np.array(moons.CLASS_COLORS[label]) for label in (-1.0, 1.0))


def test_class_colours_are_okabe_itos_and_the_regions_pale():
    assert colors.to_hex(moons.CLASS_COLORS[-1.0]) == "#e69f00" and colors.to_hex(moons.CLASS_COLORS[1.0]) == "#0072b2"
    for label in (-1.0, 1.0):  # a region is lighter than every point colour, so the points show on both
        region = np.array(moons.REGION_COLORS[label])
        assert region.min() > max(np.array(c).max() for c in moons.CLASS_COLORS.values()) * 0.7


def pixels_near(rgb, colour, tol=0.02):
    return int((np.abs(rgb - colour).max(axis=2) < tol).sum())


def test_data_is_micrograds_moons():
    X, y = moons.make_data()
    assert len(X) == len(y) == 100 and all(len(p) == 2 for p in X)
    assert sorted(set(y)) == [-1.0, 1.0] and y.count(1.0) == 50
    assert moons.make_data() == (X, y)  # the seed fixes it


def test_model_is_micrograds():
    model = moons.make_model()
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337


def test_full_run_reaches_100_percent_and_draws_the_boundary(tmp_path, capsys):
    path = tmp_path / "moons.png"
    assert moons.main(["--png", str(path)]) == 0
    out = capsys.readouterr().out
    assert "step   0  loss 0.984030  accuracy 50%" in out
    assert out.splitlines()[-2].startswith("step 100  loss 0.0193") and out.splitlines()[-2].endswith("accuracy 100%")
    rgb = image.imread(path)[:, :, :3]
    assert rgb.shape == (500, 600, 3)  # figsize 6 x 5 inches at 100 dpi
    # the filled regions: each class's pale colour, on a large part of the picture; the points in full colour
    area = rgb.shape[0] * rgb.shape[1]
    for label, colour in ((-1.0, RED), (1.0, BLUE)):
        assert pixels_near(rgb, np.array(moons.REGION_COLORS[label])) > 0.15 * area  # tol 0.02: 8-bit rounding
        assert pixels_near(rgb, colour) > 100


def test_short_run_picture_has_both_classes_points(tmp_path):
    X, y = moons.make_data(points=30)
    model = moons.make_model()
    moons.train(model, X, y, steps=2)
    path = tmp_path / "short.png"
    moons.write_png(model, X, y, path)
    rgb = image.imread(path)[:, :, :3]
    assert rgb.shape == (500, 600, 3)
    assert rgb.std() > 0.05  # not blank
    assert pixels_near(rgb, RED) > 30 and pixels_near(rgb, BLUE) > 30  # the points of each class


def test_compiled_training_gives_the_engines_numbers(parameter_bits, capsys):
    X, y = moons.make_data(points=20)
    runs = []
    for compiled in (False, True):
        model, logs = moons.make_model(), []
        final = moons.train(model, X, y, steps=4, log=lambda *entry: logs.append(entry), log_every=2,
                            compiled=compiled)
        runs.append((parameter_bits(model), logs, final))
    assert runs[0] == runs[1]
    assert [k for k, _, _ in runs[0][1]] == [0, 2, 4]
    assert moons.main(["--compile", "--steps", "3", "--points", "20"]) == 0
    assert "compiled step (micrograd_lite.compile)" in capsys.readouterr().out


def test_loss_is_the_max_margin_loss_plus_l2():
    model = moons.make_model()
    X, y = [[0.5, -0.2], [1.0, 0.3]], [1.0, -1.0]
    total, accuracy = moons.loss(model, X, y)
    scores = [moons.score(model, x).data for x in X]
    expected = sum(max(0.0, 1 - yi * s) for yi, s in zip(y, scores)) / 2 + 1e-4 * sum(
        p.data ** 2 for p in model.parameters())
    assert total.data == pytest.approx(expected, rel=1e-12)
    assert accuracy == sum((yi > 0) == (s > 0) for yi, s in zip(y, scores)) / 2


def test_without_scikit_learn_the_demo_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "sklearn.datasets", None)
    assert moons.main(["--steps", "1"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("moons.py: the moons come from scikit-learn, which is not installed: "
                           "pip install micrograd_lite[demos] (or pip install scikit-learn)")


@pytest.mark.parametrize("argv, message", [
    (["--png", "m.svg"], "argument --png: 'm.svg': the picture is a PNG; give a name ending in .png"),
    (["--png", "no/m.png"], "argument --png: 'no/m.png': folder 'no' does not exist"),
    (["--steps", "0"], "argument --steps: must be at least 1, got 0"),
    (["--seed", "-1"], "argument --seed: must be at least 0, got -1"),
    (["--seed", "4294967296"], "argument --seed: must be at most 4,294,967,295 (make_moons seeds numpy with it), "
                               "got 4294967296"),
    (["--seed", "1.5"], "argument --seed: expected a whole number, got '1.5'"),
    (["--points", "99999999999"], "argument --points: must be at most 10,000 (every point adds its own graph to "
                                  "every step), got 99999999999"),
])
def test_every_bad_option_value_is_one_line_and_no_traceback(argv, message, option_error):
    assert option_error(moons, argv).startswith(f"moons.py: error: {message}")


def test_picture_has_axis_labels_and_a_legend(tmp_path, monkeypatch):
    import matplotlib.figure

    seen = {}
    save = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        ax = fig.axes[0]
        seen["x"], seen["y"] = ax.get_xlabel(), ax.get_ylabel()
        seen["legend"] = [t.get_text() for t in ax.get_legend().get_texts()]
        return save(fig, *args, **kwargs)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    X, y = moons.make_data(points=20)
    moons.write_png(moons.make_model(), X, y, tmp_path / "m.png")
    assert seen["x"].startswith("x₁") and seen["y"].startswith("x₂")
    assert seen["legend"] == ["class −1 (data)", "class +1 (data)", "predicted class −1", "predicted class +1"]
