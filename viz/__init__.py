"""viz: pictures of micrograd_lite computation graphs, drawn by Graphviz.

``draw_dot(root, ...)`` returns a `graphviz.Digraph` (shown inline in Jupyter, no program needed);
``render(root, path, ...)`` writes it to an SVG, PNG or PDF file through Graphviz's ``dot`` program.

    from viz import render
    loss.backward()
    render(loss, "loss.svg", highlight=w1)   # w1's paths to the loss in red

``backward_page(root, path)`` writes one self-contained HTML page that steps through ``backward()`` closure by
closure (``mode='forward'``: the forward pass), from ``micrograd_lite.explain.trace_backward``.
"""

# The graphviz Python package (the `viz` extra) is checked first, so that its absence names the extra. The
# `dot` program it drives is needed only by render, and render says so.
try:
    import graphviz
except ImportError as e:
    raise ModuleNotFoundError("viz needs the graphviz package: pip install micrograd_lite[viz] "
                              "(or pip install graphviz)", name="graphviz") from e
del graphviz

from .graph import (HIGHLIGHT_COLOR, INPUT_COLOR, MAX_NODES, PARAMETER_COLOR, GraphTooLargeError,
                    draw_dot)
from .render import FORMATS, INSTALL_HINT, GraphvizNotFoundError, render
from .page import MODES, backward_page

__all__ = ["draw_dot", "render", "backward_page", "MODES", "GraphTooLargeError", "GraphvizNotFoundError",
           "FORMATS", "MAX_NODES", "HIGHLIGHT_COLOR", "PARAMETER_COLOR", "INPUT_COLOR", "INSTALL_HINT"]
