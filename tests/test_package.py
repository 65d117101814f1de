"""The package declares what it imports: every third-party module the engine imports (at the
top of a module or inside a function) belongs to a core dependency, or to an extra that only
the command needing it loads, behind a one-line "install the extra" error. The wheel itself is
built, installed outside the checkout and run by scripts/check-wheel.sh (make test)."""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from tests.sources import parse_file

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# Extra → the only places that may import its modules.
OPTIONAL = {
    "api": ("rating/cli/serve.py",),
    "report": (
        "rating/report/figures.py",
        "rating/report/fonts.py",
        "rating/report/builder.py",
        "rating/report/html.py",
    ),
}


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


@functools.cache  # parsing every module of rating/ costs a second or more of CPU
def _imports() -> dict[str, set[str]]:
    """Top-level module → files of rating/ importing it (stdlib and rating itself left out)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "rating").rglob("*.py")):
        for node in ast.walk(parse_file(path)):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            else:
                continue
            for mod in mods:
                top = mod.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("rating", "api"):
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_import_is_declared_where_it_is_used() -> None:
    core = _names(PROJECT["dependencies"])
    extras = {name: _names(reqs) for name, reqs in PROJECT["optional-dependencies"].items()}
    distributions = packages_distributions()
    for module, files in _imports().items():
        dists = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        if dists & core:
            continue
        owners = [e for e, names in extras.items() if dists & names and e in OPTIONAL]
        assert owners, f"{module} (used in {sorted(files)}) is not a declared dependency"
        assert any(files <= set(OPTIONAL[e]) for e in owners), (module, owners, sorted(files))


def test_time_zones_do_not_need_pytz() -> None:
    core = _names(PROJECT["dependencies"])
    assert "tzdata" in core and "pytz" not in core
    assert "pytz" not in _imports()


def test_commands_of_an_extra_say_which_extra() -> None:
    serve = (ROOT / "rating/cli/serve.py").read_text(encoding="utf-8")
    report = (ROOT / "rating/cli/analysis.py").read_text(encoding="utf-8")
    assert 'require_extra(module, "api", "serve")' in serve
    assert 'require_extra(module, "report", "report")' in report


def test_the_sdist_carries_what_the_wheel_is_built_from() -> None:
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8")
    assert "graft rules" in manifest and "scripts/build_hooks.py" in manifest
    assert "rating/locale" in manifest
