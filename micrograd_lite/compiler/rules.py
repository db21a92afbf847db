"""Each op's derivatives, read from the engine's own backward closures: never stated a second time.

An op's closure (`engine`) binds its operands and the forward numbers it needs as default arguments, and
adds ``g`` times each local derivative to its operands' ``grad``. `run_backward` calls it with those
arguments overridden: each operand by an *accumulator* that records what is added to it, each forward number
by a *stand-in* for it. Two kinds of stand-in:
- `Sym`, text: the closure then writes its chain-rule terms as Python source (``out_h1 * (1.0 - out_h1) *
  grad_out_h1``), which `codegen` emits. A closure that branches on a number (relu's ``if x > 0.0``) asks the
  stand-in for a bool; `explore` runs it once per outcome and keeps the conditions, so the source branches
  where the closure does.
- Values (`autograd.grad` with ``create_graph=True``): the closure's arithmetic then builds a graph, so the
  gradient is itself differentiable.

What is *not* read from a closure: which forward quantity each bound number is. The closures name them by one
convention (``x``, ``y`` the operands' values, ``out`` the result); `ops.OPS` lists, per op, which each keeps
(`ops.saved_numbers`): values, not derivatives.
"""

import math
import threading

from ..checks import short_repr
from ..engine import Value
from ..ops import OPS, saved_numbers

__all__ = ["CompileError", "KNOWN_OPS", "run_backward", "Sym", "Branch", "explore", "literal"]


class CompileError(Exception):
    """`compile` cannot turn a function into a step, or (``check=True``) a compiled step disagrees with
    the engine. The message names the op, node or argument concerned."""


KNOWN_OPS = set(OPS)  # an op without a row in micrograd_lite.ops.OPS cannot be compiled


def run_backward(node, g, accumulator, number, functions=None):
    """Call `node`'s backward closure with upstream gradient `g`, each operand replaced by
    ``accumulator(operand)`` (an object with a ``grad``), each bound forward number by ``number(q)`` where
    q is the node it is the value of (or a ``("es"|"s", node)`` pair for logsumexp's temporaries), and each
    bound function by ``functions[name]`` (the engine's ``**`` binds ``log``). With `number` None the
    closure keeps its own numbers and functions: only the operands are replaced.

    Raises CompileError naming the op when the closure binds something its row in `ops.OPS` does not
    describe (a number kept under another name than the convention's, or an op without a row)."""
    closure = node._backward
    code = closure.__code__
    names = code.co_varnames[1:code.co_argcount]  # the first argument is the upstream gradient
    if number is None:
        meaning, functions = {}, {}
    else:
        meaning = saved_numbers(node) if node.op in OPS else {}
        functions = functions or {}
    kwargs = {}
    for name, default in zip(names, closure.__defaults__):
        if name in meaning:
            q = meaning[name]
            kwargs[name] = [number(v) for v in q] if isinstance(q, list) else number(q)
        elif isinstance(default, Value):
            kwargs[name] = accumulator(default)
        elif isinstance(default, list) and all(isinstance(v, Value) for v in default):
            kwargs[name] = [accumulator(v) for v in default]
        elif name in functions:
            kwargs[name] = functions[name]
        elif default is not None and number is not None:
            raise CompileError(f"op {node.op!r}: its backward reads {name} = {short_repr(default)}, which its "
                               f"row in micrograd_lite.ops.OPS does not describe")
    closure(g, **kwargs)


# ---- symbolic stand-ins: a closure run on them writes source code ------------------------------------------
# Python precedence levels, for printing only the parentheses the evaluation order needs (floating-point
# sums are not associative: a + (b + c) keeps its brackets).
COND, ADD, MUL, UNARY, POW, ATOM = range(6)
_LEVEL = {"+": ADD, "-": ADD, "*": MUL, "/": MUL}


def literal(x):
    """A float as source text: ``0.5``, ``inf``, ``-inf``, ``nan`` (the generated code's namespace binds
    inf and nan)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def _sym(x):
    if isinstance(x, Sym):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        text = literal(x)
        return Sym(text, UNARY if text.startswith("-") else ATOM)
    raise CompileError(f"a backward closure combined a stand-in with {type(x).__name__} {short_repr(x)}")


def _is_one(s):
    return s.text == "1.0"


class Sym:
    """A number of the generated code, as source text (``text``) with its precedence level (``prec``).
    Arithmetic builds the text of the expression; comparisons and truth tests ask `explore` which way to go;
    ``float()`` raises CompileError, since a closure that computes with a float of it would detach it."""

    __slots__ = ("text", "prec")

    def __init__(self, text, prec=ATOM):
        self.text, self.prec = text, prec

    def __repr__(self):
        return f"Sym({self.text!r})"

    def _bin(a, op, b):
        a, b = _sym(a), _sym(b)
        if op == "*" and _is_one(b):  # x * 1.0 == x exactly, NaN and -0.0 included
            return a
        if op == "*" and _is_one(a):
            return b
        level = _LEVEL[op]
        left = a.text if a.prec >= level else f"({a.text})"
        right = b.text if b.prec > level else f"({b.text})"
        return Sym(f"{left} {op} {right}", level)

    def __add__(self, o): return Sym._bin(self, "+", o)
    def __radd__(self, o): return Sym._bin(o, "+", self)
    def __sub__(self, o): return Sym._bin(self, "-", o)
    def __rsub__(self, o): return Sym._bin(o, "-", self)
    def __mul__(self, o): return Sym._bin(self, "*", o)
    def __rmul__(self, o): return Sym._bin(o, "*", self)
    def __truediv__(self, o): return Sym._bin(self, "/", o)
    def __rtruediv__(self, o): return Sym._bin(o, "/", self)

    def __neg__(self):
        return Sym("-" + (self.text if self.prec >= UNARY else f"({self.text})"), UNARY)

    def __pow__(self, p):
        # Only `engine._power_of` raises a stand-in to a power, inside a try that turns 0 ** negative and
        # overflow into infinities: the source calls it (as power_of) unless the exponent is a constant
        # integer >= 0, where x ** p cannot raise before the forward pass has.
        if isinstance(p, (int, float)) and math.isfinite(p) and p >= 0 and p == int(p):
            if p == 1:
                return self  # x ** 1.0 == x exactly
            base = self.text if self.prec > POW else f"({self.text})"
            return Sym(f"{base} ** {literal(p)}", POW)
        return Sym(f"power_of({self.text}, {_sym(p).text})")

    def __rpow__(self, b):
        return Sym(f"power_of({_sym(b).text}, {self.text})")

    def _cmp(a, op, b):
        a, b = _sym(a), _sym(b)
        return Cond(f"{a.text if a.prec >= ADD else f'({a.text})'} {op} {b.text if b.prec >= ADD else f'({b.text})'}")

    def __gt__(self, o): return self._cmp(">", o)
    def __ge__(self, o): return self._cmp(">=", o)
    def __lt__(self, o): return self._cmp("<", o)
    def __le__(self, o): return self._cmp("<=", o)
    def __eq__(self, o): return self._cmp("==", o)
    def __ne__(self, o): return self._cmp("!=", o)
    __hash__ = None

    def __bool__(self):
        return bool(Cond(self.text if self.prec > COND else f"({self.text})"))

    def __float__(self):
        raise CompileError(f"a backward closure took float() of the stand-in {self.text!r}: a rule written "
                           f"with math.* on a bound number cannot be compiled (bind the function as a default "
                           f"argument, as ** binds log)")


def sym_log(x):
    """``math.log`` for a stand-in: the source calls log."""
    return Sym(f"log({_sym(x).text})")


class Cond:
    """A condition met while running a closure on stand-ins; its truth value comes from `explore`."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __bool__(self):
        return _explorer.current.decide(self.text)


class _Undecided(BaseException):  # BaseException: no `except Exception` in a closure may swallow it
    def __init__(self, text):
        self.text = text


class Branch:
    """``if cond: then else: otherwise`` in a closure: `then` and `otherwise` are each a list of terms or a
    Branch."""

    __slots__ = ("cond", "then", "otherwise")

    def __init__(self, cond, then, otherwise):
        self.cond, self.then, self.otherwise = cond, then, otherwise


class _Explorer(threading.local):
    current = None


_explorer = _Explorer()
MAX_CONDITIONS = 8  # a closure asking more questions than this is not one of the engine's


class _Path:
    def __init__(self, prefix):
        self.prefix, self.asked = prefix, 0

    def decide(self, text):
        i, self.asked = self.asked, self.asked + 1
        if i < len(self.prefix):
            return self.prefix[i]
        raise _Undecided(text)


def explore(run, prefix=()):
    """The decision tree of ``run()`` (a function running a closure on `Sym` stand-ins and returning its
    terms): its list of terms when it asks no question, else a `Branch` on the first condition it asks, with
    the trees of both answers."""
    if len(prefix) > MAX_CONDITIONS:
        raise CompileError(f"a backward closure branches more than {MAX_CONDITIONS} times")
    saved = _explorer.current
    _explorer.current = _Path(prefix)
    try:
        return run()
    except _Undecided as question:
        undecided = question.text
    finally:
        _explorer.current = saved
    return Branch(undecided, explore(run, prefix + (True,)), explore(run, prefix + (False,)))


class Accumulator:
    """Stands for an operand inside a closure run on `Sym` stand-ins: ``acc.grad += t`` appends
    ``(node, '+', t)`` to `terms` (``-=``: ``'-'``). `node` None: a gradient nobody needs, dropped."""

    __slots__ = ("node", "terms")

    def __init__(self, node, terms):
        self.node, self.terms = node, terms

    @property
    def grad(self):
        return _Pending(self)

    @grad.setter
    def grad(self, pending):
        if not isinstance(pending, _Pending) or pending.acc is not self or pending.sign is None:
            raise CompileError("a backward closure set an operand's grad instead of adding to it")
        if self.node is not None:
            self.terms.append((self.node, pending.sign, pending.term))


class _Pending:
    """``acc.grad`` being updated: ``acc.grad + t`` remembers the sign and the term."""

    __slots__ = ("acc", "sign", "term")

    def __init__(self, acc, sign=None, term=None):
        self.acc, self.sign, self.term = acc, sign, term

    def __add__(self, t):
        return _Pending(self.acc, "+", _sym(t))

    def __sub__(self, t):
        return _Pending(self.acc, "-", _sym(t))
