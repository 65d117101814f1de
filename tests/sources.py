"""The library's sources parsed once per test process: the house checks (`test_architecture`,
`test_package`) each read every module of rating/ and api/, and parsing them all costs about a
second of CPU each time. Callers only read the trees."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path


@functools.cache
def parse_source(source: str) -> ast.Module:
    """The tree of one module's source text (raises SyntaxError as `ast.parse` does)."""
    return ast.parse(source)


def parse_file(path: Path) -> ast.Module:
    """The tree of the Python file at `path` (UTF-8)."""
    return parse_source(path.read_text(encoding="utf-8"))


def statements(node: ast.AST) -> Iterator[ast.stmt]:
    """Every statement under `node`, at any depth (bodies of functions, classes, branches,
    loops, handlers and match cases), without descending into expressions: an import is a
    statement, and expressions are most of a tree's nodes."""
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, field, None) or ():
            if isinstance(child, ast.stmt):
                yield child
            yield from statements(child)
