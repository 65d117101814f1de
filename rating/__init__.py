"""The property service credit engine: a library.

The CLI (`rating.cli`), the API (`api/`), reports and benchmarks are thin clients of it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("property-credit-rating")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
