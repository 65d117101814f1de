"""Fuzz the whole API from its OpenAPI schema (schemathesis): no 500, and every response
matches what the schema declares (status codes, content types, bodies)."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from api.app import create_app
from api.state import AppState
from rating.settings import Settings
from rating.uscc import ALPHABET, check_char

pytestmark = pytest.mark.slow


# The app object exists at import (schemathesis reads its schema then); its state — the
# warehouse it serves — is attached by the fixture below. Schemathesis's ASGI transport runs
# the app's lifespan at its first request, which would replace that state with a warehouse
# `rating.duckdb` in the working directory (fuzzing an empty file, or failing when the process
# holds that file otherwise): the lifespan here does nothing.
APP = create_app(Settings())


@asynccontextmanager
async def _state_from_the_fixture(app: Any) -> AsyncIterator[None]:
    yield


APP.router.lifespan_context = _state_from_the_fixture
# Until the fixture attaches the test warehouse, an empty one in a temporary folder serves the
# schema schemathesis reads at import.
APP.state.rating = AppState(Settings(db_path=Path(tempfile.mkdtemp()) / "schema.duckdb"))
STATUSES: Counter[int] = Counter()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# Values outside the schema too (out-of-range numbers, over-long strings, days such as
# 9999-12-31): each must answer 4xx, never 5xx. The coverage phase adds every boundary
# (minimum, maximum, one past each, the longest string) deterministically.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
# A request the schema allows but the data refuses answers 400/422 with a coded reason (a PNG
# uploaded as surveys, both project_id and reject, an unknown reason code, a plan without its
# period): positive data may meet those, never a 5xx. Unknown query parameters are ignored, as
# HTTP APIs do, and the test itself sends the Authorization header a negative case drops, so
# "negative data accepted" is not checked; 5xx, statuses, content types and bodies are.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *schema.config.checks.positive_data_acceptance.expected_statuses,
    "400",
    "422",
]
schema.config.checks.update(excluded_check_names=["negative_data_rejection"])


@st.composite
def _uscc(draw: st.DrawFn) -> str:
    """A code GB 32100-2015 accepts (the schema's `format: uscc`): 17 characters of its
    alphabet and their check character; a code failing the check is a 400, not valid data."""
    first = draw(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
    return first + check_char(first)


schemathesis.openapi.format("uscc", _uscc())


@pytest.fixture(scope="module", autouse=True)
def fuzz_app(bureau_db: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Serve a copy of the API test warehouse (fuzzing publishes and runs)."""
    folder = tmp_path_factory.mktemp("fuzz")
    db = folder / "warehouse.duckdb"
    shutil.copy(bureau_db["settings"].db_path, db)
    shutil.copy(bureau_db["settings"].tokens_file, folder / "warehouse.tokens.json")
    APP.state.rating.close()  # the empty schema warehouse
    APP.state.rating = AppState(bureau_db["settings"].with_(db_path=db, rate_limit=0))
    yield APP
    APP.state.rating.close()
    by_class = {
        f"{k}xx": sum(v for s, v in STATUSES.items() if s // 100 == k) for k in (2, 3, 4, 5)
    }
    print(f"\nfuzzed: {sum(STATUSES.values())} requests, {by_class}")  # `pytest -s` shows it


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: Any, bureau_db: dict[str, Any]) -> None:
    role = "bureau" if case.path.startswith("/v1/bureau") else "auditor"
    # The fuzz judges conformance, not speed: a bureau run with history took over schemathesis's
    # default 10 s read timeout on a loaded CI machine.
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {bureau_db['tokens'][role]}"}, timeout=120
    )
    STATUSES[response.status_code] += 1


def test_schema_is_complete(fuzz_app: Any) -> None:
    spec = fuzz_app.openapi()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), f"{method} {path} has no summary"
            assert "422" in op["responses"] or not op.get("parameters"), f"{method} {path}"
    examples = [n for n, s in spec["components"]["schemas"].items() if s.get("examples")]
    assert {"CompanyCard", "SearchPage", "Health", "RunRequest"} <= set(examples)
    assert Path  # noqa: B018
