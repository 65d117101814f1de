"""Citizen identity numbers (公民身份号码, GB 11643-1999) of project managers: checked, never kept.

A manager is a person. The register a bureau exports may carry the manager's identity number;
the warehouse never stores it in clear. When the bureau must match people on it (the same
person under a new certificate number, a lookup by ID at the counter), ingest keeps a keyed
hash instead: HMAC-SHA256 under a secret key that lives outside the warehouse
(`RATING_ID_KEY`, a file). Without the key the hash cannot be recomputed from a guess — an
unkeyed hash of an 18-character number with a birth date inside would fall to a brute force
in minutes. Without a key the number is still checked (a wrong one is bad input with its
reason code, `BAD_ID_NUMBER`) but nothing of it is kept.

The number: 17 digits and a check character. Weights for positions 1-17 are 2^(18-i) mod 11;
the check is (12 - (sum mod 11)) mod 11, with 10 written as X. The same check is a DuckDB
macro (`id_number_valid`) for validating whole files in SQL, and `mask_id` masks a number
wherever a rejected row is shown; `tests/test_managers.py` proves Python and SQL agree.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from rating.errors import UsageError

WEIGHTS = tuple(pow(2, 18 - i, 11) for i in range(1, 18))  # 7, 9, 10, 5, …, 2
CHECKS = "10X98765432"  # sum mod 11 -> check character
MIN_KEY_BYTES = 32


def normalise(number: str) -> str:
    """Trimmed, with a lower-case x read as X."""
    return number.strip().upper()


def check_char(first17: str) -> str:
    """The check character (0-9 or X) of a citizen identity number's first 17 digits, by GB
    11643-1999: Σ digit × (2^(18-i) mod 11), then `CHECKS`[sum mod 11]. Raises `ValueError` when
    `first17` is not 17 digits long or holds a non-digit."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECKS[total % 11]


def is_valid(number: str) -> bool:
    """Whether `number` (trimmed, x read as X) is a citizen identity number by GB 11643-1999: 18
    characters, 17 ASCII digits and the right check character. Never raises."""
    n = normalise(number)
    if len(n) != 18 or not n[:17].isdigit() or not n[:17].isascii():
        return False
    return check_char(n[:17]) == n[17]


def sql_macro() -> str:
    """The same check over a whole column, vectorised (a lower-case x is accepted as X)."""
    weights = ", ".join(str(w) for w in WEIGHTS)
    return f"""
CREATE OR REPLACE MACRO id_number_valid(n) AS (
  coalesce(regexp_full_match(upper(n), '[0-9]{{17}}[0-9X]')
    AND substr('{CHECKS}', (list_sum(list_transform(range(17),
          lambda i: TRY_CAST(substr(n, i + 1, 1) AS INTEGER) * [{weights}][i + 1])) % 11)::INTEGER
          + 1, 1) = upper(substr(n, 18, 1)), false))
"""


def mask(number: str | None) -> str | None:
    """What anyone may see of a number: the first two and last two characters
    (`11**************3X`); shorter than 10 characters, nothing."""
    if number is None:
        return None
    n = number.strip()
    if len(n) < MASK_MIN_LENGTH:
        return "*" * len(n)
    return n[:2] + "*" * (len(n) - 4) + n[-2:]


MASK_MIN_LENGTH = 10
# An identity number inside free text (a line that could not be split into cells): 18
# characters, or the 15 digits of a number issued before 1999.
_ID_LIKE = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")


def mask_numbers(text: str) -> str:
    """`text` with every identity-number-like run masked (`mask`)."""
    return _ID_LIKE.sub(lambda m: mask(m.group()) or "", text)


MASK_MACRO = f"""CREATE OR REPLACE MACRO mask_id(n) AS CASE
    WHEN length(trim(n)) < {MASK_MIN_LENGTH} THEN repeat('*', length(trim(n)))
    ELSE left(trim(n), 2) || repeat('*', length(trim(n)) - 4) || right(trim(n), 2) END"""


def load_key(path: Path) -> bytes:
    """The HMAC key from its file: hex (64+ characters) or raw bytes, at least 32 bytes.

    Raises UsageError `ID_KEY_INVALID` when the file is missing, unreadable or too short."""
    try:
        data = Path(path).read_bytes().strip()
    except OSError as exc:
        raise UsageError(
            f"RATING_ID_KEY: cannot read {path} ({exc.strerror})", code="ID_KEY_INVALID"
        ) from exc
    try:
        key = bytes.fromhex(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        key = data
    if len(key) < MIN_KEY_BYTES:
        raise UsageError(
            f"RATING_ID_KEY: {path} holds {len(key)} bytes; a key needs at least "
            f"{MIN_KEY_BYTES} (make one with `rating managers keygen`)",
            code="ID_KEY_INVALID",
        )
    return key


def keyed_hash(key: bytes, number: str) -> str:
    """HMAC-SHA256 of the normalised number under `key`, as 64 hex characters."""
    return hmac.new(key, normalise(number).encode("ascii"), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short public name of a key (not the key): which key made a hash."""
    return hashlib.sha256(b"rating id key\0" + key).hexdigest()[:16]


def generate_key(path: Path) -> str:
    """Write a new random key (32 bytes, hex) to `path`, readable by its owner only; return
    its `key_id`. Refuses to overwrite: hashes made under a lost key can never be matched
    again (UsageError `ID_KEY_EXISTS`)."""
    path = Path(path)
    if path.exists():
        raise UsageError(f"{path} exists: a key is never overwritten", code="ID_KEY_EXISTS")
    key = secrets.token_bytes(MIN_KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
    return key_id(key)
