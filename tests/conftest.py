"""Fixture strategy.

* Inline data for single behaviours: a test builds a `tests.factories.Bureau`, writes it as real
  export files and ingests it through the real path into a warehouse in `tmp_path`.
* Golden bureaus (`tests/golden/scenarios.py`) for hand-computed results per rule set.
* One generated city (`generated_city`, session-scoped) for end-to-end, CLI and API tests:
  small enough to build in seconds, produced by the same generator as `rating demo`.

Settings are built per test (`settings_for(tmp_path)`) and passed in explicitly; nothing
reads the environment behind a test's back, and the clock is pinned (`NOW`).

`--duckdb-threads N` gives every warehouse of the run N DuckDB threads: `settings_for` and,
through `RATING_THREADS`, the command line and the app a test starts. `make test-fast` uses 1:
two workers on two cores gain nothing from more, and the tests' small queries pay for each
hand-off between threads (measured: a third less wall time under load). `make test` and CI
leave DuckDB its default, so results that depend on a parallel plan's order still show.
`--few-examples` (also `make test-fast`) has each property test draw a quarter of its examples
(`tests.factories.examples`); CI draws them all.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests import options

if TYPE_CHECKING:  # the library loads with the first test module, not in xdist's controller
    from rating.settings import Settings

_SLOW_MODULE = re.compile(r"^pytestmark = pytest\.mark\.slow\b", re.M)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--few-examples",
        action="store_true",
        help="property tests draw a quarter of their examples (tests.factories.examples)",
    )
    parser.addoption(
        "--duckdb-threads",
        type=int,
        default=0,
        help="DuckDB threads of every warehouse the tests open (0: DuckDB chooses)",
    )


def pytest_configure(config: pytest.Config) -> None:
    options.FEW_EXAMPLES[0] = bool(config.getoption("few_examples"))
    threads = config.getoption("duckdb_threads")
    if threads:
        options.THREADS[0] = threads
        os.environ["RATING_THREADS"] = str(threads)


# Modules that import a heavy library the rest of the fast tier does not: under xdist each
# group goes to one worker, which pays the import once (scikit-learn ~2 s, the app ~1 s).
IMPORT_GROUPS = {
    "tests/test_matching_evidence.py": "sklearn",
    "tests/test_calibration.py": "sklearn",
    "tests/test_docs.py": "app",
    "tests/api/test_public_wording.py": "app",
}


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # before xdist's own; xdist may be absent
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadscope` (`make test-fast`): each module to one worker, which builds its
    module fixtures once — and the modules of one `IMPORT_GROUPS` group to the same worker."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleOrGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = str(super()._split_scope(nodeid))
            return IMPORT_GROUPS.get(module, module)

    return ModuleOrGroup(config, log)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """An xdist worker leaves without Python's finalisation once pytest is done with it: its
    results went to the controller with `workerfinished`, and tearing down ~2,000 modules and
    the DuckDB instances tests left open took ~1.5 s of each `make test-fast`, while the
    controller waited. Temporary folders are the controller's to clean."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under `-m "not slow"` (`make test-fast`) a module marked slow as a whole is not even
    imported: every test of it would be deselected, and importing the 30 of them (the app,
    the browser driver, generated cities' helpers) cost each worker seconds of start-up.
    Any other selection collects everything."""
    if collection_path.suffix != ".py" or config.getoption("markexpr", "") != "not slow":
        return None
    text = collection_path.read_text(encoding="utf-8")
    return True if _SLOW_MODULE.search(text) else None


@pytest.fixture(scope="session", autouse=True)
def shared_loads(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Under xdist, the workers of a run share the warehouses `tests.factories.load` made (the
    folder above each worker's own temporary folder is the run's)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent / "loaded"
        shared.mkdir(exist_ok=True)
        options.SHARED_DIR[:] = [shared]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    from tests.factories import settings_for

    return settings_for(tmp_path)


@pytest.fixture(scope="session")
def generated_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated city's export folder (same generator as `rating demo`)."""
    from rating.synth import generate

    out = tmp_path_factory.mktemp("city") / "exports"
    generate(out, complaints=6000, seed=11, quarters=3, end="2026Q3")
    return out
