"""Fingerprints of a rule set version.

* `logic` — sha256 of everything that can change a result (numbers, expressions, windows,
  grades, lists): two versions with the same logic hash rate every company identically.
* `wording` — sha256 of titles, clauses and notes only: what the public reads.
* `files` — sha256 of the version's files byte for byte: what immutability is checked on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from rating.ruleset.definition import LATER_OPTIONS, WORDING_FIELDS, RuleSet


class FingerprintRecord(TypedDict):
    """A rule set's three fingerprints (sha256, hex) as `Fingerprint.as_dict` gives them."""

    logic: str
    wording: str
    files: str


@dataclass(frozen=True)
class Fingerprint:
    logic: str
    wording: str
    files: str

    def as_dict(self) -> FingerprintRecord:
        return {"logic": self.logic, "wording": self.wording, "files": self.files}


def canonical_json(value: Any) -> str:
    """The canonical JSON text fingerprints hash: keys sorted, UTF-8 kept, no spaces, other values
    (dates, decimals) as `str`."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def sha256_text(text: str) -> str:
    """Hex SHA-256 of `text` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _split(value: Any) -> tuple[Any, Any]:
    """(logic part, wording part) of a dumped model, recursively."""
    if isinstance(value, dict):
        logic, wording = {}, {}
        for k, v in value.items():
            if k in LATER_OPTIONS and v in (None, []):
                continue  # unset: as if the option did not exist (published fingerprints hold)
            if k in WORDING_FIELDS:
                wording[k] = v
            else:
                logic[k], sub = _split(v)
                if sub not in ({}, [], None):
                    wording[k] = sub
        return logic, wording
    if isinstance(value, list):
        pairs = [_split(v) for v in value]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    return value, None


def logic_and_wording(definition: RuleSet) -> tuple[dict[str, Any], dict[str, Any]]:
    """(logic, wording) of a version. A wording revision (`[ruleset] rewords`) is hashed with
    the identity of the version it rewords — number and validity decide which periods a
    version rates, not how — so the two share one logic fingerprint when only wording differs."""
    dumped = definition.model_dump(mode="json", by_alias=True)
    rewords = dumped["ruleset"].pop("rewords", None)
    if rewords is not None:
        dumped["ruleset"].update(rewords)
    logic, wording = _split(dumped)
    if rewords is not None:
        wording.setdefault("ruleset", {})["rewords"] = rewords
    return logic, wording


def files_digest(files: dict[str, bytes]) -> str:
    """sha256 over the sorted file names and each file's sha256."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def fingerprint(definition: RuleSet, files: dict[str, bytes]) -> Fingerprint:
    """The three sha256 fingerprints of a version (see the module doc)."""
    logic, wording = logic_and_wording(definition)
    return Fingerprint(
        sha256_text(canonical_json(logic)),
        sha256_text(canonical_json(wording)),
        files_digest(files),
    )


def read_files(folder: Path) -> dict[str, bytes]:
    """A version folder's files (relative path → bytes), hidden files left out."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }
