"""Explaining a graph: why each gradient is what it is, and whether a learner's derivation is right.

- `paths`: the chain rule path by path (`chain_rule`, `local_derivatives` read off each op's closure);
- `trace`: the backward pass step by step as data (`trace_backward`), for the backward page and ``--trace``;
- `listing`: the backward pass as the Python `micrograd_lite.compile` writes (`backward_source`);
- `checker`: a hand derivation's numbers checked against the engine (`check`), with the slip catalogue
  (`slips`), the reading of claims (`claims`) and the graph under a slip (`worlds`, `replay`);
- `naming`: the one name every printer shows for a node (`display_name`).

Derivatives are never restated here: every module reads them off the ops' own backward closures, through
`local_derivatives` and `backprop`, the one backward loop over them that the trace and the checker share.
"""

from ..graph import on_paths
from .checker import CheckReport, CheckResult, check, claim_value, slip_values
from .listing import backward_source
from .naming import display_name
from .paths import (Breakdown, ChainRuleError, Path, TooManyPathsError, chain_rule, format_breakdown,
                    local_derivatives)
from .slips import CATALOGUE, KINDS, Cause
from .trace import BackwardTrace, TraceEdge, TraceStep, trace_backward

__all__ = ["local_derivatives", "on_paths", "chain_rule", "format_breakdown", "backward_source", "Path",
           "Breakdown", "TooManyPathsError", "ChainRuleError", "trace_backward", "BackwardTrace", "TraceStep",
           "TraceEdge", "check", "CheckReport", "CheckResult", "Cause", "claim_value", "slip_values", "CATALOGUE",
           "KINDS", "display_name"]
