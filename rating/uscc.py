"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

18 characters from a 31-character alphabet (no I, O, S, V, Z); the 18th is a check character:
weights for positions 1-17 are 3^(i-1) mod 31 and check = 31 - (sum mod 31), with 31 → 0.
The same check is rendered as a DuckDB macro (`uscc_valid`) for validating whole files in SQL;
`tests/test_uscc.py` proves both agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def check_char(first17: str) -> str:
    """The check character of a USCC's first 17 characters, by GB 32100-2015: Σ value × (3^(i-1) mod
    31), check = `ALPHABET`[(31 − sum mod 31) mod 31]. Raises `KeyError` for a character outside the
    alphabet and `ValueError` when `first17` is not 17 long."""
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """Whether `code` is a unified social credit code by GB 32100-2015: 18 characters of the
    31-character alphabet (upper case, no I, O, S, V, Z) with the right check character. Never
    raises."""
    if len(code) != 18 or any(c not in VALUE for c in code):
        return False
    return check_char(code[:17]) == code[17]


def sql_macro() -> str:
    """A DuckDB macro computing the same check over a whole column, vectorised."""
    weights = ", ".join(str(w) for w in WEIGHTS)
    return f"""
CREATE OR REPLACE MACRO uscc_valid(code) AS (
  coalesce(length(code) = 18 AND regexp_full_match(code, '[{ALPHABET}]{{18}}')
    AND substr('{ALPHABET}', ((31 - list_sum(list_transform(range(17),
          lambda i: (instr('{ALPHABET}', substr(code, i + 1, 1)) - 1) * [{weights}][i + 1])) % 31)
          % 31)::INTEGER + 1, 1) = substr(code, 18, 1), false))
"""


@dataclass(frozen=True)
class UsccProblem:
    """What is wrong with a code that should be a USCC: `kind` is `length` (`found` characters,
    18 wanted), `character` (`found` is the first character outside the alphabet) or
    `check_digit` (`expected` is the check character GB 32100-2015 computes, `found` the 18th)."""

    kind: Literal["length", "character", "check_digit"]
    found: str
    expected: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.kind, "found": self.found, "expected": self.expected}


def problem(code: str) -> UsccProblem | None:
    """What is wrong with `code` (spaces around and lower case allowed) as a USCC by
    GB 32100-2015, or None when it is one. Never raises."""
    cleaned = code.strip().upper()
    bad = [c for c in cleaned if c not in VALUE]
    if len(cleaned) != 18:
        return UsccProblem("length", str(len(cleaned)), "18")
    if bad:
        return UsccProblem("character", bad[0])
    expected = check_char(cleaned[:17])
    return None if expected == cleaned[17] else UsccProblem("check_digit", cleaned[17], expected)


def require(code: str) -> str:
    """`code` cleaned (spaces around, lower case) when it is a well-formed USCC; else raises
    UsageError USCC_INVALID saying what is wrong (its length, a character outside the
    alphabet, or the check character GB 32100-2015 computes; `details` holds `problem`'s
    fields), so that a mistyped code is not answered with "no such company"."""
    from rating.errors import UsageError

    found = problem(code)
    if found is None:
        return code.strip().upper()
    why = (
        f"it has {found.found} characters, a USCC has 18"
        if found.kind == "length"
        else f"'{found.found}' is not one of its characters (digits and letters except I, O, S, V, Z)"
        if found.kind == "character"
        else f"its check character should be {found.expected}, not {found.found}"
    )
    raise UsageError(
        f"'{code}' is not a unified social credit code (GB 32100-2015): {why}",
        code="USCC_INVALID",
        details=found.as_dict(),
    )


# How people type a code: groups apart (9137 0600 …, 91370600-MA3C…), lower case, full-width
# from a Chinese input method. The ingest cleans the same full width and case
# (`rating.ingest.cleaning`); a search box also takes the separators out.
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_DASHES = "-‐‑‒–—―_"


def as_typed(text: str) -> tuple[str, tuple[str, ...]]:
    """`text` as a code, the way the ingest cleans identifiers (full-width to ASCII, upper
    case) with the spaces and dashes people put between its groups taken out, and what was
    changed, in order: `fullwidth`, `space`, `dash`, `lower_case` (spaces around are not a
    change). Never raises; the result need not be a USCC (`problem` says)."""
    trimmed = text.strip()
    half = trimmed.translate(_HALF)
    changes = ["fullwidth"] if half != trimmed else []
    if any(c.isspace() for c in half):
        changes.append("space")
    if any(c in _DASHES for c in half):
        changes.append("dash")
    joined = "".join(c for c in half if not c.isspace() and c not in _DASHES)
    if joined != joined.upper():
        changes.append("lower_case")
    return joined.upper(), tuple(changes)
