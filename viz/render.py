"""`render`: draw a graph with `draw_dot` and write it to a file through Graphviz's ``dot`` program."""

import os

import graphviz

from .graph import draw_dot

__all__ = ["render", "GraphvizNotFoundError", "FORMATS", "INSTALL_HINT"]

FORMATS = ("svg", "png", "pdf")

INSTALL_HINT = ("install Graphviz, which provides it: Debian/Ubuntu `sudo apt-get install graphviz`, "
                "macOS `brew install graphviz`, Windows: the installer from https://graphviz.org/download/ "
                "(then put its bin folder on PATH)")


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Raised by `render` when Graphviz's ``dot`` program is not on PATH. A `graphviz.ExecutableNotFound`,
    hence a RuntimeError; its message says how to install Graphviz."""

    def __init__(self, message):
        RuntimeError.__init__(self, message)


def render(root, path, format=None, **options):
    """Draw the graph of `root` (a `Value`) and write it to `path` (str or path-like) as SVG, PNG or PDF.

    `format`: ``'svg'``, ``'png'`` or ``'pdf'``; by default the suffix of `path` (``'svg'`` when it has
    none). `options`: `draw_dot`'s keyword options (``rankdir``, ``show_grad``, ``max_nodes``,
    ``highlight``, ``params``). Returns `path`. The file is written only once ``dot`` has succeeded, so a
    failure leaves any existing file untouched.

    Raises ValueError for any other format, given or read from the suffix (``'g.gif'``), or a format that
    contradicts the suffix (``render(v, 'g.png', format='svg')``); `GraphvizNotFoundError` (a
    RuntimeError) naming the missing ``dot`` program and how to install it when it is not on PATH; and
    whatever `draw_dot` raises.
    """
    name = os.fspath(path)
    suffix = os.path.splitext(name)[1].lower().lstrip(".")
    if format is None:
        if suffix and suffix not in FORMATS:
            raise ValueError(f"render: cannot tell the format from path {name!r}: .{suffix} is not one of "
                             f"{', '.join(FORMATS)}; pass format=")
        format = suffix or "svg"
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}, got {format!r}")
    if suffix in FORMATS and suffix != format:
        raise ValueError(f"render: path {name!r} ends in .{suffix} but format is {format!r}")
    data = pipe(draw_dot(root, **options), format, "render")
    with open(path, "wb") as f:
        f.write(data)
    return path


def pipe(graph, format, caller):
    """`graph` (a `graphviz.Digraph`) laid out by ``dot`` in `format`, as bytes; `GraphvizNotFoundError`, its
    message starting with `caller` (the public function's name), when ``dot`` is not on PATH."""
    try:
        return graph.pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            f"{caller}: Graphviz's `dot` program was not found on PATH; {INSTALL_HINT}. "
            f"(draw_dot needs no program: it returns the graph, whose .source is the DOT text.)") from None
