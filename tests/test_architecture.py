"""Arrows point down: the import graph of `rating/` read from the source with `ast`.

Every module belongs to a floor; a module may import its own floor's modules and the floors
below, never above (imports inside functions count too: a lazy import is still an arrow).
The graph of `rating`'s rooms has no cycle, and `ruleset` never imports `engine`.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from tests.sources import parse_file, parse_source

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. A room's modules may import rooms of the same or a lower floor.
FLOORS: list[set[str]] = [
    {
        "rating",
        "rating.errors",
        "rating.uscc",
        "rating.idnumber",
        "rating.sql",
        "rating.periods",
        "rating.calendar",
        "rating.i18n",
        "rating.exports",
        "rating.scores",
    },  # fmt: skip
    {"rating.settings", "rating.tokens"},
    {"rating.schema"},
    {"rating.warehouse"},
    {"rating.ruleset", "rating.matching"},
    {"rating.ingest"},
    {"rating.engine"},
    {"rating.analysis", "rating.audit"},
    {"rating.public", "rating.report", "rating.synth", "rating.consequences"},
    {"rating.cli"},
]
FLOOR_OF = {room: n for n, rooms in enumerate(FLOORS) for room in rooms}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _room(module: str) -> str:
    """`rating.engine.runner` → `rating.engine`; `rating.errors` → itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


@functools.cache
def import_edges() -> list[tuple[str, str, int]]:
    """(importing module, imported module, line) for every import of `rating…` in rating/."""
    edges = []
    for path in sorted((ROOT / "rating").rglob("*.py")):
        module = _module_name(path)
        for node in ast.walk(parse_file(path)):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            edges += [(module, t, node.lineno) for t in targets if t.split(".")[0] == "rating"]
    return edges


def test_every_room_has_a_floor() -> None:
    rooms = {_room(m) for m, _, _ in import_edges()} | {_room(t) for _, t, _ in import_edges()}
    assert rooms <= set(FLOOR_OF), f"rooms without a floor: {sorted(rooms - set(FLOOR_OF))}"


def test_arrows_point_down() -> None:
    upward = [
        f"{m}:{line} imports {t}"
        for m, t, line in import_edges()
        if FLOOR_OF[_room(t)] > FLOOR_OF[_room(m)]
    ]
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_rooms_have_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for m, t, _ in import_edges():
        if _room(m) != _room(t):
            graph.setdefault(_room(m), set()).add(_room(t))

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(room for room in graph if room in reach(room))
    assert not cycles, f"rooms on an import cycle: {cycles}"


@pytest.mark.parametrize(
    ("room", "never"),
    [
        ("rating.ruleset", "rating.engine"),  # rules do not depend on the engine they feed
        ("rating.schema", "rating.warehouse"),  # the ground floor imports nothing above it
    ],
)
def test_forbidden_arrows(room: str, never: str) -> None:
    bad = [f"{m}:{line}" for m, t, line in import_edges() if _room(m) == room and _room(t) == never]
    assert not bad, f"{room} imports {never}: {bad}"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The graph reader itself works: a lazy upward import in a function is an edge."""
    source = "def f():\n    from rating.engine import runner\n"
    node = ast.parse(source)
    found = [n.module for n in ast.walk(node) if isinstance(n, ast.ImportFrom)]
    assert found == ["rating.engine"]
    assert FLOOR_OF[_room("rating.engine.runner")] > FLOOR_OF["rating.schema"]


def public_functions(source: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The public module-level functions (name not starting with `_`) of one module's source."""
    return [
        node
        for node in parse_source(source).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("_")
    ]


def undocumented(source: str) -> list[str]:
    """Public module-level functions of one module's source that have no docstring."""
    return [node.name for node in public_functions(source) if not ast.get_docstring(node)]


def test_every_public_function_has_a_docstring() -> None:
    """GUIDE.md: public functions say their shapes, units, errors and the source of any rule —
    in rating/ and api/ (a route's docstring is its operation's description in OpenAPI).
    A function whose name starts with `_` is private to its module and needs none."""
    missing = [
        f"{path.relative_to(ROOT)}: {name}"
        for room in ("rating", "api")
        for path in sorted((ROOT / room).rglob("*.py"))
        for name in undocumented(path.read_text(encoding="utf-8"))
    ]
    assert not missing, "public functions without a docstring:\n" + "\n".join(missing)


def test_the_docstring_check_sees_a_missing_one() -> None:
    source = (
        'def told():\n    """Says."""\n\n'
        "def silent():\n    return 1\n\n"
        "async def quiet():\n    return 2\n\n"
        "def _private():\n    return 3\n\n"
        "class Holder:\n    def method(self):\n        return 4\n"
    )
    assert undocumented(source) == ["silent", "quiet"]


def untyped_returns(source: str) -> list[str]:
    """Public module-level functions of one module's source that return `dict[str, Any]`
    (alone or inside a list, tuple or union) instead of a typed shape."""
    return [
        node.name
        for node in public_functions(source)
        if node.returns is not None and "dict[str, Any]" in ast.unparse(node.returns)
    ]


# Open-ended by nature: their keys are named by data, not by code.
OPEN_ENDED = {
    "rating/consequences/whatif.py: recompute",  # company facts: names the rule set defines
    "rating/report/fonts.py: rc",  # matplotlib rcParams
    "rating/ruleset/fingerprint.py: logic_and_wording",  # a rule set's JSON, split in two
    "rating/sql.py: dicts",  # the rows of any query, by its column names
}


def test_what_crosses_a_module_boundary_has_a_typed_shape() -> None:
    """GUIDE.md: what crosses a module boundary has a typed shape (the `shapes.py` of each
    room, TypedDicts beside the function), no dict[str, Any] — in rating/ and api/ alike,
    but for the few whose keys are data (`OPEN_ENDED`)."""
    found = {
        f"{path.relative_to(ROOT)}: {name}"
        for room in ("rating", "api")
        for path in sorted((ROOT / room).rglob("*.py"))
        for name in untyped_returns(path.read_text(encoding="utf-8"))
    }
    assert not found - OPEN_ENDED, "public functions returning dict[str, Any]:\n" + "\n".join(
        sorted(found - OPEN_ENDED)
    )
    assert not OPEN_ENDED - found, (
        f"no longer open-ended, drop from OPEN_ENDED: {OPEN_ENDED - found}"
    )


def test_the_shape_check_sees_an_untyped_return() -> None:
    source = (
        "def typed() -> Manifest:\n    return {}\n\n"
        "def loose() -> list[dict[str, Any]]:\n    return []\n\n"
        "def _private() -> dict[str, Any]:\n    return {}\n"
    )
    assert untyped_returns(source) == ["loose"]
