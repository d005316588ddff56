"""The package's shape: each folder one layer, imports only pointing down, no private names across modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "narrate"

# Lower numbers are lower layers; a module may import its own layer and the ones below it.
LAYERS = {
    "narrate._version": 0,
    "narrate.errors": 0,
    "narrate.models": 0,
    "narrate.profile": 0,
    "narrate.atomic": 0,
    "narrate.text": 1,
    "narrate.audio": 2,
    "narrate.web": 2,  # fetching pages and feeds: beside the audio layer, neither leaning on the other
    "narrate.publish": 3,
    "narrate.verify": 3,
    "narrate.recipe": 4,
    "narrate.pipeline": 4,
    "narrate.preview": 4,
    "narrate.batch": 4,
    "narrate.cli": 5,
    "narrate.studio": 5,
    "narrate.__main__": 5,
    "narrate": 5,  # the package's own __init__: the public API, loaded lazily
}
# Peers of one layer where one must not lean on the other: (importer, imported) pairs that are refused.
SEPARATE = {
    ("narrate.publish", "narrate.verify"),
    ("narrate.verify", "narrate.publish"),
    ("narrate.web", "narrate.audio"),
    ("narrate.audio", "narrate.web"),
    ("narrate.studio", "narrate.cli"),  # the command line starts the studio, never the other way round
}
MAX_FUNCTION_LINES = 80
MAX_PARAMETERS = 8  # more: bundle related ones in a small frozen value (see NarrationOptions)
MAX_MODULE_LINES = 800


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _layer(module: str) -> tuple[int, str]:
    """(rank, owning layer) of a module: the longest matching prefix in LAYERS."""
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best], best


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported narrate module, names imported from it, line) for every import in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "narrate" or target.startswith("narrate."):
                names = [a.name for a in node.names]
                modules = _modules()
                # `from . import pipeline` imports a module, not a name
                for n in names:
                    if f"{target}.{n}" in modules:
                        found.append((f"{target}.{n}", [], node.lineno))
                found.append((target, [n for n in names if f"{target}.{n}" not in modules], node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("narrate"):
                    found.append((alias.name, [], node.lineno))
    return found


MODULES = _modules()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name: str) -> None:
    rank, layer = _layer(name)
    for target, _, line in _imports(name, MODULES[name]):
        target_rank, target_layer = _layer(target)
        assert target_rank <= rank, f"{name}:{line} imports {target} from a higher layer"
        assert (layer, target_layer) not in SEPARATE, f"{name}:{line} leans on its peer {target}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_crosses_a_module(name: str) -> None:
    for target, names, line in _imports(name, MODULES[name]):
        if target == name:
            continue
        private = [n for n in names if n.startswith("_") and n != "__version__"]
        assert not private, f"{name}:{line} imports private {private} from {target}"


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Positional and keyword parameters, *args and **kwargs each counting one; not self or cls."""
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    return len(names) + (args.vararg is not None) + (args.kwarg is not None)


def test_functions_and_modules_stay_readable() -> None:
    long_modules = []
    long_functions = []
    crowded = []
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            long_modules.append(f"{name} ({text.count(chr(10))} lines)")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions.append(f"{name}.{node.name} ({length} lines)")
                if _parameters(node) > MAX_PARAMETERS:
                    crowded.append(f"{name}.{node.name} ({_parameters(node)} parameters)")
    assert long_modules == [] and long_functions == [] and crowded == []


def test_the_parameter_count_is_the_one_a_reader_sees() -> None:
    source = "def f(self, a, /, b, *args, c, d=1, **kw): ...\ndef g(x, y=2, *, z): ..."
    first, second = ast.parse(source).body
    assert isinstance(first, ast.FunctionDef) and isinstance(second, ast.FunctionDef)
    assert (_parameters(first), _parameters(second)) == (6, 3)


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles in a graph of module -> modules it imports: its strongly connected components
    of more than one module (Tarjan's algorithm, iterative so a deep chain cannot overflow the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        circles.append(sorted(component))
    return circles


def test_no_import_circles() -> None:
    # Every import counts, those inside functions and under TYPE_CHECKING too: a lazy import only hides
    # a circle from the interpreter, and two modules that need each other are one concept or a misplaced one.
    graph = {
        name: {t for t, _, _ in _imports(name, path) if t in MODULES and t != name}
        for name, path in MODULES.items()
    }
    assert _circles(graph) == []


def test_the_circle_finder_finds_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e", "d"}, "f": {"g"}, "g": {"f"}}
    assert _circles(graph) == [["a", "b", "c"], ["f", "g"]]


def test_the_layer_table_knows_every_module() -> None:
    # a new top-level module or folder must be placed in a layer on purpose
    for name in MODULES:
        assert any(name == p or name.startswith(p + ".") for p in LAYERS), name


def test_a_test_of_this_shape_catches_an_upward_import(tmp_path: Path) -> None:
    # the checker itself: an audio module importing the pipeline is refused
    module = tmp_path / "narrate" / "audio" / "bad.py"
    module.parent.mkdir(parents=True)
    module.write_text("from ..pipeline import narrate_article\nfrom .cache import _decode\n", "utf-8")
    found = [(target, names) for target, names, _ in _imports("narrate.audio.bad", module)]
    assert found == [("narrate.pipeline", ["narrate_article"]), ("narrate.audio.cache", ["_decode"])]
    assert _layer("narrate.pipeline")[0] > _layer("narrate.audio.bad")[0]
