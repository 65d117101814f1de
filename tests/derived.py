"""Rule-set variants for tests: a shipped version with one rule option added, as a new version.

The variant is the shipped file's text with one line inserted after the rule's `id` line and
the version renumbered, so a golden or property test reads exactly "the published rules plus
this option" and nothing else.
"""

from __future__ import annotations

from typing import Any

from rating.ruleset.loader import LoadedRuleSet, load_from_bytes
from tests.factories import RULES_DIR


def inline_toml(value: Any) -> str:
    """A TOML value for the plain options a test adds (strings, numbers, booleans, tables)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {inline_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def with_rule_option(
    base: str, rule_id: str, option: str, setting: Any, version: str
) -> LoadedRuleSet:
    """`base` (NAME@VERSION, shipped) with `option = setting` added to rule `rule_id`."""
    name, _, base_version = base.partition("@")
    text = (RULES_DIR / name / base_version / "ruleset.toml").read_text(encoding="utf-8")
    id_line = f'id = "{rule_id}"\n'
    version_line = f'version = "{base_version}"\n'
    assert text.count(id_line) == 1 and text.count(version_line) == 1, (base, rule_id)
    text = text.replace(id_line, f"{id_line}{option} = {inline_toml(setting)}\n")
    text = text.replace(version_line, f'version = "{version}"\n')
    return load_from_bytes({"ruleset.toml": text.encode("utf-8")}, origin=f"{name}@{version}")
