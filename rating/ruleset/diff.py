"""`rating rules diff A B`: what changed between two versions, rule by rule.

Each change names its field path, the old and new value, and whether it can change a
result (`logic`), only what people read (`wording`), or only which periods the version
rates (`version`: its number, validity, and the version a wording revision rewords).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from rating.ruleset.definition import WORDING_FIELDS
from rating.ruleset.fingerprint import FingerprintRecord
from rating.ruleset.loader import LoadedRuleSet

VERSION_FIELDS = frozenset({"ruleset.version", "ruleset.effective_from", "ruleset.expires_on"})

# `from` is a Python keyword, hence the functional form of these TypedDicts.
Change = TypedDict(
    "Change",
    {
        "field": str,  # dotted path, list items as [i]: "bucket.cap", "when[0].min"
        "from": Any,  # the value in the first version (None: absent)
        "to": Any,  # the value in the second version (None: absent)
        "kind": Literal["logic", "wording", "version"],
    },
)
Fingerprints = TypedDict("Fingerprints", {"from": FingerprintRecord, "to": FingerprintRecord})
RulesetDiff = TypedDict(
    "RulesetDiff",
    {
        "from": str,  # NAME@VERSION
        "to": str,
        "same_logic": bool,  # equal logic fingerprints: every result would be the same
        "fingerprints": Fingerprints,
        "settings": list[Change],  # outside the rules
        "rules_added": list[str],  # rule ids, sorted
        "rules_removed": list[str],
        "rules_changed": dict[str, list[Change]],  # rule id → its changed fields
    },
)


def _changes(a: Any, b: Any, path: str) -> list[Change]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[Change] = []
        for key in sorted(set(a) | set(b)):
            out += _changes(a.get(key), b.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            c
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for c in _changes(x, y, f"{path}[{i}]")
        ]
    if a == b:
        return []
    leaf = path.rsplit(".", 1)[-1].split("[")[0]
    kind: Literal["logic", "wording", "version"] = "wording" if leaf in WORDING_FIELDS else "logic"
    if path in VERSION_FIELDS or path.startswith("ruleset.rewords"):
        kind = "version"
    return [{"field": path, "from": a, "to": b, "kind": kind}]


def diff(a: LoadedRuleSet, b: LoadedRuleSet) -> RulesetDiff:
    """What changed from rule set `a` to `b`: their refs, whether the logic fingerprint is the
    same, both fingerprints, the changed settings, the rules added and removed (ids, sorted) and,
    per rule kept, its changed fields (a `RulesetDiff`). A `Change` reads {field (dotted path),
    from, to, kind}, kind "logic" (changes results), "wording" (titles, clauses) or "version"."""
    da = a.definition.model_dump(mode="json", by_alias=True)
    db = b.definition.model_dump(mode="json", by_alias=True)
    rules_a = {r["id"]: r for r in da.pop("rule")}
    rules_b = {r["id"]: r for r in db.pop("rule")}
    changed: dict[str, list[Change]] = {}
    for rule_id in sorted(set(rules_a) & set(rules_b)):
        found = _changes(rules_a[rule_id], rules_b[rule_id], "")
        if found:
            changed[rule_id] = found
    return {
        "from": a.ref,
        "to": b.ref,
        "same_logic": a.fingerprint.logic == b.fingerprint.logic,
        "fingerprints": {"from": a.fingerprint.as_dict(), "to": b.fingerprint.as_dict()},
        "settings": _changes(da, db, ""),
        "rules_added": sorted(set(rules_b) - set(rules_a)),
        "rules_removed": sorted(set(rules_a) - set(rules_b)),
        "rules_changed": changed,
    }
