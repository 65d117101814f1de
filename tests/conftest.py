"""Fixture strategy.

* Inline data for single behaviours: a test builds a `tests.factories.Bureau`, writes it as real
  export files and ingests it through the real path into a warehouse in `tmp_path`.
* Golden bureaus (`tests/golden/scenarios.py`) for hand-computed results per rule set.
* One generated city (`generated_city`, session-scoped) for end-to-end, CLI and API tests:
  small enough to build in seconds, produced by the same generator as `rating demo`.

Settings are built per test (`settings_for(tmp_path)`) and passed in explicitly; nothing
reads the environment behind a test's back, and the clock is pinned (`NOW`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rating.settings import Settings
from tests.factories import settings_for

_SLOW_MODULE = re.compile(r"^pytestmark = pytest\.mark\.slow\b", re.M)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under `-m "not slow"` (`make test-fast`) a module marked slow as a whole is not even
    imported: every test of it would be deselected, and importing the 30 of them (the app,
    the browser driver, generated cities' helpers) cost each worker seconds of start-up.
    Any other selection collects everything."""
    if collection_path.suffix != ".py" or config.getoption("markexpr", "") != "not slow":
        return None
    text = collection_path.read_text(encoding="utf-8")
    return True if _SLOW_MODULE.search(text) else None


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


@pytest.fixture(scope="session")
def generated_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated city's export folder (same generator as `rating demo`)."""
    from rating.synth import generate

    out = tmp_path_factory.mktemp("city") / "exports"
    generate(out, complaints=6000, seed=11, quarters=3, end="2026Q3")
    return out
