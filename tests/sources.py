"""The library's sources parsed once per test process: the house checks (`test_architecture`,
`test_package`) each read every module of rating/ and api/, and parsing them all costs about a
second of CPU each time. Callers only read the trees."""

from __future__ import annotations

import ast
import functools
from pathlib import Path


@functools.cache
def parse_source(source: str) -> ast.Module:
    """The tree of one module's source text (raises SyntaxError as `ast.parse` does)."""
    return ast.parse(source)


def parse_file(path: Path) -> ast.Module:
    """The tree of the Python file at `path` (UTF-8)."""
    return parse_source(path.read_text(encoding="utf-8"))
