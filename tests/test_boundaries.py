"""Dependencies point one way: the library never loads the API, charts or models on import."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow  # starts a Python subprocess: not in `make test-fast`
def test_importing_the_library_loads_no_heavy_clients() -> None:
    code = (
        "import sys, rating, rating.engine.runner, rating.ingest.loader, rating.ruleset.loader, rating.cli\n"
        # pandera (and the pandas it imports) only where a frame is checked in Python (issue 21)
        "heavy = ('fastapi', 'matplotlib', 'sklearn', 'scipy', 'api', 'pandera', 'pandas')\n"
        "bad = [m for m in heavy if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
