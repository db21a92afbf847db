"""What the demos' command lines share: the terminal's width, prose wrapped to it, and the `--graph PATH`,
`--page PATH` and PNG path options.

Each demo's output fits `terminal_width()` columns: tables keep the notes' wide layout when there is room
and are stacked otherwise, and prose is wrapped with `wrap`.
"""

import argparse
import os
import shutil
import textwrap

GRAPH_FORMATS = ("svg", "png", "pdf")  # what viz.render writes (viz.FORMATS; viz needs not be installed here)


def terminal_width():
    """Columns to fit: the COLUMNS environment variable when set, else the terminal's width, else 80
    (`shutil.get_terminal_size`)."""
    return shutil.get_terminal_size().columns


def wrap(text, width=None, indent=""):
    """`text` (paragraphs separated by newlines) with each line wrapped to `width` columns (None: unchanged);
    continuation lines start with `indent`. Lines that fit are kept as they are."""
    if width is None:
        return text
    out = []
    for line in text.split("\n"):
        lead = line[:len(line) - len(line.lstrip())]
        out += (textwrap.wrap(line, width, subsequent_indent=lead + indent, break_on_hyphens=False,
                              break_long_words=False) or [""]) if len(line) > width else [line]
    return "\n".join(out)


def _output_path(text, suffixes, default, example, wrong):
    """An argparse type's check of an output file's path: `default` appended when it has no suffix (None:
    a suffix is required), `wrong` (a message) for a suffix not in `suffixes`, and a folder that does not
    exist, each a one-line argparse error before any work."""
    folder, name = os.path.split(text)
    suffix = os.path.splitext(name)[1]
    if not name:
        raise argparse.ArgumentTypeError(f"{text!r} names a folder; give a file name such as {example}")
    if not suffix and default:
        text += default
    elif suffix.lower() not in suffixes:
        raise argparse.ArgumentTypeError(f"{text!r}: {wrong.format(suffix=suffix)}")
    if folder and not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"{text!r}: folder {folder!r} does not exist")
    return text


def graph_path(text):
    """argparse type of ``--graph PATH``: the path, '.svg' appended when it has no suffix. Rejects a suffix
    other than .svg .png .pdf and a folder that does not exist."""
    return _output_path(text, tuple("." + f for f in GRAPH_FORMATS), ".svg", "graph.svg",
                        "{suffix} is not one of .svg, .png, .pdf")


def page_path(text):
    """argparse type of ``--page PATH``: the path, '.html' appended when it has no suffix. Rejects a suffix
    other than .html or .htm, a folder that does not exist, and a machine without what the page needs (the
    graphviz package, Graphviz's ``dot`` program), saying how to install it, before any work is done."""
    path = _output_path(text, (".html", ".htm"), ".html", "backward.html",
                        "the page is HTML; give a name ending in .html")
    try:
        import viz  # needs the graphviz package (the `viz` extra); the rest of the demo does not
    except ImportError as exc:
        raise argparse.ArgumentTypeError(f"cannot write the page: {exc}") from None
    if shutil.which("dot") is None:
        raise argparse.ArgumentTypeError(f"the page needs Graphviz's `dot` program, not found on PATH: "
                                         f"{viz.INSTALL_HINT}")
    return path


def png_path(text):
    """argparse type of a PNG picture's path (``--png``, ``--plot``): rejects a name not ending in .png and a
    folder that does not exist."""
    return _output_path(text, (".png",), None, "picture.png", "the picture is a PNG; give a name ending in .png")


def write_page(root, path, params=None, exercise=False):
    """``--page``: write `viz.backward_page` of `root` (a Value) to `path`, `params` (Values) filled blue,
    `exercise` as `backward_page`. Returns ``(ok, line)``: whether the page was written, and a line saying
    where and how to use it or why nothing was written (no graphviz package, no ``dot`` program, an
    unwritable path). The demo prints the line and, when not ok, exits non-zero."""
    try:
        import viz  # needs the graphviz package (the `viz` extra); the rest of the demo does not
    except ImportError as exc:
        return False, f"Page not written: {exc}"
    try:
        viz.backward_page(root, path, params=params, exercise=exercise)
    except viz.GraphvizNotFoundError as exc:
        return False, f"Page not written: {exc}"
    except OSError as exc:
        return False, f"Page not written: {path}: {exc.strerror}"
    if exercise:
        return True, (f"Page: wrote {path}; open it in a browser (no server needed): before each step of "
                      f"backward() it asks for the gradient the step reveals")
    return True, (f"Page: wrote {path}; open it in a browser (no server needed) and press step (or →) to run "
                  f"backward() one closure at a time")


def table(rows, headers, width=None):
    """`rows` (lists of str) under `headers` as `tabulate` lays them out (plain columns) when that fits
    `width` columns (None: always); otherwise stacked, one record per row: its first cell, then
    ``  header: cell`` for each other non-empty cell."""
    from tabulate import tabulate  # the demos extra

    wide = tabulate(rows, headers=headers, disable_numparse=True)
    if width is None or max(len(line) for line in wide.splitlines()) <= width:
        return wide
    lines = []
    for row in rows:
        lines.append(row[0])
        lines += [wrap(f"  {h}: {cell}", width, "    ") for h, cell in zip(headers[1:], row[1:]) if cell != ""]
    return "\n".join(lines)


def column_blocks(rows, headers, width=None):
    """A matrix-like table too wide for `width` columns, cut into blocks of columns, each under its headers
    and each repeating the first column (the row names), blocks separated by a blank line; one block when it
    fits or `width` is None. `rows`: lists of str; `headers`: one per column."""
    from tabulate import tabulate  # the demos extra

    whole = tabulate(rows, headers=headers, disable_numparse=True)
    if width is None or max(len(line) for line in whole.splitlines()) <= width:
        return whole
    blocks, start, n = [], 1, len(headers)
    while start < n:
        end = start + 1
        while end < n:  # as many columns as fit, at least one
            cut = tabulate([r[:1] + r[start:end + 1] for r in rows], headers=headers[:1] + headers[start:end + 1],
                           disable_numparse=True)
            if max(len(line) for line in cut.splitlines()) > width:
                break
            end += 1
        blocks.append(tabulate([r[:1] + r[start:end] for r in rows], headers=headers[:1] + headers[start:end],
                               disable_numparse=True))
        start = end
    return "\n\n".join(blocks)


def wrap_code(source, width=None):
    """Python `source` with each comment line (``# ...``) longer than `width` wrapped onto more comment lines;
    statements are left whole (a wrapped statement would not run)."""
    if width is None:
        return source
    out = []
    for line in source.split("\n"):
        if len(line) > width and line.lstrip().startswith("#"):
            lead = line[:len(line) - len(line.lstrip())] + "# "
            out += textwrap.wrap(line.lstrip()[1:].strip(), width, initial_indent=lead, subsequent_indent=lead,
                                 break_long_words=False, break_on_hyphens=False)
        else:
            out.append(line)
    return "\n".join(out)
