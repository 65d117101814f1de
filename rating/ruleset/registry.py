"""Which rule set version applies to a period, and refusing one that does not."""

from __future__ import annotations

import functools
import json
import tomllib
from pathlib import Path

import duckdb
from pydantic import ValidationError

from rating.errors import ConflictError, NotFoundError, UsageError
from rating.periods import Period
from rating.ruleset.definition import Header
from rating.ruleset.loader import (
    RULESET_FILE,
    LoadedRuleSet,
    find_version_dir,
    list_rulesets,
    load_ruleset,
    parse_ref,
    version_key,
)
from rating.schema.tables import RUN_STATUS
from rating.sql import rows, value


def in_force(rs: LoadedRuleSet, period: Period) -> bool:
    """A version is in force for a period when it is in force on the period's last day."""
    return _header_in_force(rs.definition.ruleset, period)


def select(
    rules_dir: Path, ref: str | None, default_name: str, period: Period, force: bool
) -> LoadedRuleSet:
    """The rule set a run uses: the one named, checked against the period, or the one in force."""
    if ref:
        name, version = parse_ref(ref)
        if version is not None:
            rs = load_ruleset(rules_dir, ref)
            if not in_force(rs, period) and not force:
                h = rs.definition.ruleset
                span = f"{h.effective_from} – {h.expires_on or 'open'}"
                raise UsageError(
                    f"{rs.ref} is not in force for {period} (valid {span}); add --force to use it "
                    "anyway (the run records that it was forced)",
                    code="RULESET_NOT_IN_FORCE",
                )
            return rs
    else:
        name = default_name
    versions = [v for n, v in list_rulesets(rules_dir) if n == name]
    if not versions:
        find_version_dir(Path(rules_dir), name, None)  # RULESET_NOT_FOUND, naming the folder
    # Only headers are read to choose: a draft of a later version with a fault in its rules
    # (or a folder whose header cannot be read) does not block this period's run; the
    # version chosen is then loaded and checked in full. `rating rules validate` reports all.
    headers = [hd for v in versions if (hd := read_header(rules_dir, name, v)) is not None]
    valid = [hd for hd in headers if _header_in_force(hd, period)]
    if not valid:
        raise NotFoundError(
            f"no version of rule set '{name}' is in force for {period}"
            + (f" (versions: {', '.join(versions)})" if versions else ""),
            code="RULESET_NOT_IN_FORCE",
        )
    chosen = max(valid, key=lambda h: (h.effective_from, version_key(h.version)))
    return load_ruleset(rules_dir, f"{name}@{chosen.version}")


def read_header(rules_dir: Path, name: str, version: str) -> Header | None:
    """The `[ruleset]` header of a version folder, or None when it cannot be read."""
    path = Path(rules_dir) / name / version / RULESET_FILE
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header = _header_of(raw)
    return header if header and (header.name, header.version) == (name, version) else None


@functools.lru_cache(maxsize=64)
def _header_of(raw: bytes) -> Header | None:
    """The `[ruleset]` header in a rule file's bytes (None when it cannot be read). Kept per
    process by the bytes: `rating run` chooses the version twice (the command, then the
    planner), and each choice parsed every version's whole file (issue 21). A Header is
    frozen, so sharing one is safe."""
    try:
        return Header.model_validate(tomllib.loads(raw.decode("utf-8")).get("ruleset"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValidationError):
        return None


def _header_in_force(h: Header, period: Period) -> bool:
    return h.effective_from <= period.end and (h.expires_on is None or period.end <= h.expires_on)


def assert_unchanged(con: duckdb.DuckDBPyConnection, rs: LoadedRuleSet) -> None:
    """A version used by a published run may not change: a change needs a new version."""
    found = rows(
        con,
        f"""SELECT r.run_id FROM runs r JOIN {RUN_STATUS} s USING (run_id)
           WHERE r.ruleset = $ref AND s.status = 'published' AND r.ruleset_files_sha256 <> $sha
           ORDER BY r.run_id LIMIT 1""",
        {"ref": rs.ref, "sha": rs.fingerprint.files},
    )
    if found:
        raise ConflictError(
            f"{rs.ref} was used by published run {found[0][0]} and its files have changed since; "
            "published rule versions are immutable: copy the folder to a new version number instead",
            code="RULESET_IMMUTABLE",
        )


def stored_files(
    con: duckdb.DuckDBPyConnection, ref: str, files_sha: str
) -> dict[str, bytes] | None:
    """The files of rule set `ref` (NAME@VERSION) as stored with a run, by their files sha256;
    None when the warehouse does not hold them. The one query for a stored rule set."""
    name, _, version = ref.partition("@")
    found = value(
        con,
        "SELECT files FROM rulesets WHERE name = $n AND version = $v AND files_sha256 = $sha",
        {"n": name, "v": version, "sha": files_sha},
    )
    if found is None:
        return None
    return {k: v.encode("utf-8") for k, v in json.loads(found).items()}
