"""micrograd's own demo: a 2-16-16-1 relu MLP learns the two moons, then its decision boundary as a picture.

As A. Karpathy's micrograd ``demo.ipynb`` (github.com/karpathy/micrograd): 100 points of scikit-learn's
``make_moons`` with noise 0.1, labels mapped to -1 / +1; ``MLP(2, [16, 16, 1])`` with relu hidden layers and
a linear output (the score); the SVM max-margin loss, mean over the points of ``relu(1 - y * score)``, plus
1e-4 times the sum of the squared parameters (L2); full-batch SGD for 100 steps with the learning rate
``1.0 - 0.9 * k / 100`` at step k (0-based). Accuracy counts a point right when its score has its label's
sign. It prints the loss and accuracy every 10 steps; micrograd's run reaches 100 %, and so does this one
(seed 1337 for the data and the weights, as micrograd's notebook seeds numpy and random; the weights are
`micrograd_lite.MLP`'s, U(-1/sqrt(nin), 1/sqrt(nin)), not micrograd's U(-1, 1)).

The data come from scikit-learn's ``sklearn.datasets.make_moons`` (the `demos` extra) rather than a generator
of our own, because it is what micrograd's notebook calls: the same maintained function gives the same
distribution without a copy to keep in step. ``--png moons.png`` draws the decision boundary over the data
with matplotlib (the `demos` extra; the ``Agg`` backend, so no display is needed): the model's predicted
class on a grid of step 0.25 (as micrograd's notebook) filled in pale, the points on top in full colour with
a black edge and a marker per class, so every point shows on either region; the colours are Okabe and Ito's
colour-blind-safe orange and blue (`CLASS_COLORS`: class -1 orange circles, +1 blue triangles), with axis
labels and a legend.

Run: ``python demos/moons.py --png moons.png`` (``--help`` for options).
"""

import argparse
import os
import sys

from micrograd_lite import MLP, SGD, Value, no_grad

if not __package__:  # run as a script (python demos/moons.py): make `demos` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from demos.cli import png_path, terminal_width, wrap  # noqa: E402

SEED = 1337      # micrograd's notebook: np.random.seed(1337); random.seed(1337)
POINTS = 100
MAX_POINTS = 10_000  # each step builds a graph over every point: more would take minutes a step and GBs
NOISE = 0.1
STEPS = 100
ALPHA = 1e-4     # weight of the L2 term
GRID_STEP = 0.25  # the decision boundary's grid, in the data's units, as micrograd's notebook draws it
EXTRA_HINT = "pip install micrograd_lite[demos]"
# Okabe & Ito's colour-blind-safe palette ("Color Universal Design", 2008): orange #E69F00 and blue #0072B2, told
# apart under every common colour-vision deficiency. Class -1, class +1 (RGB in [0, 1]); the regions are the same
# colours mixed with REGION_WHITE parts of white, pale enough for the points on them to stand out.
CLASS_COLORS = {-1.0: (0xE6 / 255, 0x9F / 255, 0x00 / 255), 1.0: (0x00 / 255, 0x72 / 255, 0xB2 / 255)}
REGION_WHITE = 0.75
REGION_COLORS = {label: tuple(REGION_WHITE + (1 - REGION_WHITE) * c for c in rgb) for label, rgb in CLASS_COLORS.items()}
MARKERS = {-1.0: "o", 1.0: "^"}


class MissingExtra(RuntimeError):
    """A package of the `demos` extra is not installed; the message names it and the install command."""


def make_data(points=POINTS, noise=NOISE, seed=SEED):
    """`points` points of scikit-learn's two moons with Gaussian `noise` (standard deviation, in the data's
    units), shuffled, from `seed`. Returns (X, y): X a list of `points` [x1, x2] float lists, y a list of
    `points` labels -1.0 or +1.0 (make_moons' 0 / 1). Raises MissingExtra without scikit-learn."""
    try:
        from sklearn.datasets import make_moons
    except ImportError:
        raise MissingExtra(f"the moons come from scikit-learn, which is not installed: {EXTRA_HINT} "
                           f"(or pip install scikit-learn)") from None
    X, y = make_moons(n_samples=points, noise=noise, random_state=seed)
    return X.tolist(), [2.0 * label - 1.0 for label in y.tolist()]


def make_model(seed=SEED):
    """micrograd's model: ``MLP(2, [16, 16, 1])``, relu hidden layers, a linear output (337 parameters)."""
    return MLP(2, [16, 16, 1], activation="relu", rng=seed)


def score(model, x):
    """The model's score for one point `x` ([x1, x2], floats or Values): a Value; its sign is the predicted
    class."""
    return model(list(x))[0]


def loss(model, X, y, alpha=ALPHA):
    """(total loss Value, accuracy in [0, 1]) on the points `X` (list of [x1, x2]) with labels `y` (+-1):
    the max-margin loss mean(relu(1 - y_i score_i)) plus `alpha` times the sum of the squared parameters."""
    scores = [score(model, x) for x in X]
    data_loss = Value.sum([(1 - yi * s).relu() for yi, s in zip(y, scores)]) * (1.0 / len(X))
    reg_loss = alpha * Value.sum([p * p for p in model.parameters()])
    accuracy = sum((yi > 0) == (s.data > 0) for yi, s in zip(y, scores)) / len(X)
    return data_loss + reg_loss, accuracy


def train(model, X, y, steps=STEPS, log=None, log_every=1, compiled=False):
    """Full-batch SGD for `steps` steps, learning rate ``1.0 - 0.9 * k / steps`` at step k (micrograd's, with
    steps = 100). `log(k, loss, accuracy)` is called before the updates k = 0, `log_every`, 2 `log_every`, ...
    and once after the last (k = steps). Returns (loss, accuracy) after training.

    ``compiled=True`` takes each step's loss and gradients from `micrograd_lite.compile` of `loss` (the
    graph is the same at every step: relu's branch is inside the op), which gives the same floats as the
    engine's ``backward()``; the accuracy is then computed only when logged."""
    opt = SGD(model.parameters(), lr=1.0)
    if compiled:
        from micrograd_lite import compile
        step = compile(lambda X_, y_: loss(model, X_, y_)[0], X, y)
    for k in range(steps):
        logged = log is not None and k % log_every == 0
        opt.zero_grad()
        if compiled:
            total = step(X, y)
            if logged:
                with no_grad():
                    accuracy = loss(model, X, y)[1]
        else:
            graph, accuracy = loss(model, X, y)
            graph.backward()
            total = graph.data
        if logged:
            log(k, total, accuracy)
        opt.lr = 1.0 - 0.9 * k / steps
        opt.step()
    with no_grad():
        total, accuracy = loss(model, X, y)
    if log:
        log(steps, total.data, accuracy)
    return total.data, accuracy


def decision_grid(model, X, step=GRID_STEP):
    """The model's class (+1 or -1) on a grid over the data, one unit beyond it on every side.
    Returns (xs, ys, classes): the grid's x coordinates (a list), y coordinates (a list), and
    classes[i][j] at (xs[j], ys[i]) (len(ys) lists of len(xs) floats)."""
    def axis(values):
        lo, hi = min(values) - 1, max(values) + 1
        return [lo + i * step for i in range(int((hi - lo) / step) + 1)]
    xs, ys = axis([p[0] for p in X]), axis([p[1] for p in X])
    with no_grad():
        classes = [[1.0 if score(model, [a, b]).data > 0 else -1.0 for a in xs] for b in ys]
    return xs, ys, classes


def write_png(model, X, y, path):
    """Draw the decision boundary (`decision_grid`) with the points `X` coloured by label `y` to `path` (PNG,
    matplotlib's Agg backend). Raises MissingExtra without matplotlib, OSError when `path` cannot be
    written (nothing is left at `path` then)."""
    try:
        import matplotlib
    except ImportError:
        raise MissingExtra(f"the picture is drawn by matplotlib, which is not installed: {EXTRA_HINT} "
                           f"(or pip install matplotlib)") from None
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    xs, ys, classes = decision_grid(model, X)
    fig, ax = plt.subplots(figsize=(6, 5))
    try:
        # two levels only: each class's region in its pale colour, no bands in between
        ax.contourf(xs, ys, classes, levels=[-2, 0, 2], colors=[REGION_COLORS[-1.0], REGION_COLORS[1.0]])
        for label, name in ((-1.0, "class −1"), (1.0, "class +1")):
            points = [p for p, t in zip(X, y) if t == label]
            ax.scatter([p[0] for p in points], [p[1] for p in points], color=CLASS_COLORS[label], s=40,
                       marker=MARKERS[label], edgecolors="k", linewidths=0.8, label=f"{name} (data)")
        for label, name in ((-1.0, "class −1"), (1.0, "class +1")):
            ax.fill_between([], [], color=REGION_COLORS[label], label=f"predicted {name}")
        ax.set_xlim(xs[0], xs[-1])
        ax.set_ylim(ys[0], ys[-1])
        ax.set_xlabel("x₁ (first feature)")
        ax.set_ylabel("x₂ (second feature)")
        ax.set_title("micrograd_lite: MLP(2, [16, 16, 1]) on the moons")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small", frameon=False)
        fig.subplots_adjust(bottom=0.27)
        fig.savefig(path, format="png", dpi=100)
    finally:
        plt.close(fig)


def _at_least(minimum, maximum=None, why=""):
    """An argparse type: a whole number >= `minimum` (and <= `maximum`, when given, `why` saying why)."""
    def parse(text):
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if n < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {n}")
        if maximum is not None and n > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}{why}, got {n}")
        return n
    return parse


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=_at_least(1), default=STEPS, help=f"SGD steps (default {STEPS})")
    ap.add_argument("--points", type=_at_least(2, MAX_POINTS, " (every point adds its own graph to every step)"),
                    default=POINTS, help=f"points of data (default {POINTS}, at most {MAX_POINTS:,})")
    ap.add_argument("--seed", type=_at_least(0, 2**32 - 1, " (make_moons seeds numpy with it)"), default=SEED,
                    help=f"seed of the data and the weights, 0 to 2**32 - 1 (default {SEED})")
    ap.add_argument("--png", type=png_path, metavar="PATH", help="draw the decision boundary to this PNG")
    ap.add_argument("--compile", action="store_true",
                    help="train with the compiled step (micrograd_lite.compile): the same numbers, faster")
    args = ap.parse_args(argv)
    width = terminal_width()
    try:
        X, y = make_data(args.points, NOISE, args.seed)
    except MissingExtra as exc:
        print(f"moons.py: {exc}", file=sys.stderr)
        return 1
    model = make_model(args.seed)
    print(wrap(f"The moons: {args.points} points (scikit-learn make_moons, noise {NOISE}, seed {args.seed}); "
               f"MLP(2, [16, 16, 1]) relu, {len(model.parameters())} parameters; max-margin loss + {ALPHA:g} L2; "
               f"SGD, lr 1.0 - 0.9 k / {args.steps}, {args.steps} steps"
               + (", compiled step (micrograd_lite.compile)." if args.compile else "."), width))

    def log(k, total, accuracy):
        print(f"step {k:3d}  loss {total:.6f}  accuracy {accuracy:.0%}")

    _, accuracy = train(model, X, y, args.steps, log, log_every=10, compiled=args.compile)
    if args.png:
        try:
            write_png(model, X, y, args.png)
        except MissingExtra as exc:
            print(f"Picture not drawn: {exc}")
        except OSError as exc:
            print(f"Picture not drawn: {args.png}: {exc.strerror}")
        else:
            print(f"Picture: wrote {args.png} (decision boundary; class -1 orange circles, +1 blue triangles)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
