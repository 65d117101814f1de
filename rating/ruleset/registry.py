"""Which rule set version applies to a period, and refusing one that does not."""

from __future__ import annotations

from pathlib import Path

import duckdb

from rating.errors import ConflictError, NotFoundError, UsageError
from rating.periods import Period
from rating.ruleset.loader import (
    LoadedRuleSet,
    find_version_dir,
    list_rulesets,
    load_ruleset,
    parse_ref,
)
from rating.sql import rows


def in_force(rs: LoadedRuleSet, period: Period) -> bool:
    """A version is in force for a period when it is in force on the period's last day."""
    h = rs.definition.ruleset
    return h.effective_from <= period.end and (h.expires_on is None or period.end <= h.expires_on)


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
    candidates = [load_ruleset(rules_dir, f"{name}@{v}") for v in versions]
    valid = [rs for rs in candidates if in_force(rs, period)]
    if not valid:
        raise NotFoundError(
            f"no version of rule set '{name}' is in force for {period}"
            + (f" (versions: {', '.join(versions)})" if versions else ""),
            code="RULESET_NOT_IN_FORCE",
        )
    return max(
        valid, key=lambda rs: (rs.definition.ruleset.effective_from, rs.definition.ruleset.version)
    )


def assert_unchanged(con: duckdb.DuckDBPyConnection, rs: LoadedRuleSet) -> None:
    """A version used by a published run may not change: a change needs a new version."""
    found = rows(
        con,
        """SELECT r.run_id FROM runs r JOIN run_status s USING (run_id)
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
