"""The house's layers: no module imports one above it, and no import cycle, anywhere in the project.

Every import is read from the source (``ast``), those inside functions included, so a cycle cannot hide
behind a late import. The layers, bottom to top (README "Layout"; docs/architecture.md):
"""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (module or package prefix, layer): a module's layer is that of its longest matching prefix.
LAYERS = [
    ("micrograd_lite.checks", 0), ("micrograd_lite.modes", 0), ("micrograd_lite.formulas", 0),
    ("micrograd_lite.engine", 1),
    ("micrograd_lite.ops", 2), ("micrograd_lite.graph", 2), ("micrograd_lite.nn", 2),
    ("micrograd_lite.losses", 2), ("micrograd_lite.optim", 2), ("micrograd_lite.checkpoint", 2),
    ("micrograd_lite.compiler", 3),
    ("micrograd_lite.autograd", 4), ("micrograd_lite.gradcheck", 4),
    ("micrograd_lite.explain", 5),
    ("micrograd_lite", 6),  # the package's __init__: the public names, importing everything below
    ("viz", 7),
    ("demos", 8),
    ("benchmarks", 9),
]
PACKAGES = ("micrograd_lite", "viz", "demos", "benchmarks")


def layer(module):
    best = max((prefix for prefix, _ in LAYERS if module == prefix or module.startswith(prefix + ".")), key=len)
    return dict(LAYERS)[best]


def project_modules():
    """{module name: path} for every .py file of the project's packages."""
    modules = {}
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for f in files:
                if f.endswith(".py"):
                    rel = os.path.relpath(os.path.join(folder, f), ROOT)[:-3].split(os.sep)
                    if rel[-1] == "__init__":
                        rel = rel[:-1]
                    modules[".".join(rel)] = os.path.join(folder, f)
    return modules


def imports(module, path, known):
    """The project modules `module` imports (anywhere in its file), resolved to names in `known`."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    is_package = os.path.basename(path) == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            # `from pkg import name`: name is a submodule when one exists, else a name of pkg itself
            names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:  # `import a.b.c` of a non-module attribute: its module
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


@pytest.fixture(scope="module")
def graph():
    known = project_modules()
    return {m: imports(m, p, known) for m, p in known.items()}


def test_the_layer_table_covers_every_module(graph):
    assert all(layer(m) is not None for m in graph)


def test_no_module_imports_one_above_it(graph):
    upward = sorted(f"{m} (layer {layer(m)}) imports {d} (layer {layer(d)})"
                    for m, deps in graph.items() for d in deps if layer(d) > layer(m))
    assert not upward, "\n".join(upward)


def cycles_in(graph):
    """Every import cycle a depth-first search meets, as "a -> b -> a"."""
    cycles, state = [], {}

    def visit(m, stack):
        state[m] = "open"
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == "open":
                cycles.append(" -> ".join(stack[stack.index(d):] + [d]))
            elif d not in state:
                visit(d, stack)
        stack.pop()
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    return cycles


def test_no_import_cycle(graph):
    cycles = cycles_in(graph)
    assert not cycles, "\n".join(cycles)


def test_the_checks_can_fail(tmp_path):
    """A cycle, an upward import and a late (in-function) import are found."""
    assert cycles_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a -> b -> c -> a"]
    assert layer("micrograd_lite.engine") < layer("micrograd_lite.explain.check") == 5
    f = tmp_path / "nn.py"
    f.write_text("def late():\n    from .explain import check\n")
    known = {"micrograd_lite.nn": str(f), "micrograd_lite.explain": "", "micrograd_lite.explain.check": ""}
    assert imports("micrograd_lite.nn", str(f), known) == {"micrograd_lite.explain.check"}
