"""Docs are tested: settings, rule-file fields, derived columns, contracts, commands."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from rating.cli import app
from rating.ingest.docs import contracts_markdown
from rating.ruleset import consequences, definition
from rating.schema.derived import DERIVED
from rating.settings import documented_settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
RULES_README = (ROOT / "rules" / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme() -> None:
    for env, _help in documented_settings():
        assert f"`{env}`" in README, env


def test_every_rule_file_field_is_documented() -> None:
    models = [
        m
        for module in (definition, consequences)
        for m in vars(module).values()
        if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == module.__name__
    ]
    for model in models:
        for name, field in model.model_fields.items():
            documented = field.alias or name
            assert f"`{documented}`" in RULES_README, f"{model.__name__}.{documented}"


def test_every_derived_column_is_documented() -> None:
    for kind, columns in DERIVED.items():
        for name, (_sql, meaning) in columns.items():
            assert f"`{name}` | {meaning}" in RULES_README, (kind, name)


def test_every_name_a_rule_may_use_is_documented() -> None:
    from rating.ruleset.names import (
        COMPANY_FACTS,
        MANAGER_FACTS,
        PROJECT_RESULTS,
        project_attributes,
    )

    for name in (*COMPANY_FACTS, *PROJECT_RESULTS, *MANAGER_FACTS, *project_attributes()):
        assert f"| `{name.name}` | {name.meaning} |" in RULES_README, name.name


def test_contracts_doc_is_current() -> None:
    committed = (ROOT / "datasets" / "CONTRACTS.md").read_text(encoding="utf-8")
    assert committed.strip() == contracts_markdown().strip(), (
        "run: rating contracts --markdown > datasets/CONTRACTS.md"
    )


def test_readme_commands_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make demo" in README and "make test" in README
    commands = {c.name or c.callback.__name__ for c in app.registered_commands}  # type: ignore[union-attr]
    groups = {g.name for g in app.registered_groups}
    for name in commands | groups:
        assert f"rating {name}" in README, name


def test_version_is_one_fact() -> None:
    import tomllib

    from rating import __version__

    assert __version__ == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_every_api_path_is_documented() -> None:
    from api.app import create_app

    for path in create_app().openapi()["paths"]:
        assert f"{path.split('?')[0]}" in README.replace("\\|", "|") or path.replace(
            "{kind}", "{red|black}"
        ) in README.replace("\\|", "|"), path
