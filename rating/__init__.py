"""The property service credit engine: a library.

The CLI (`rating.cli`), the API (`api/`), reports and benchmarks are thin clients of it.
`rating.__version__` is read from the installed package's metadata when first asked for
(importlib.metadata is not free, and `rating --help` should answer at once).
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("property-credit-rating")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        found = _installed_version()
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module 'rating' has no attribute {name!r}")
