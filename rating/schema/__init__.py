"""The ground floor: what every stage agrees on, importing nothing above it.

- `contracts`: how a source kind is declared (columns, headers, checks, keys);
- `vocabularies`: the values enumerated columns hold, and their synonyms;
- `sources`: the ten kinds a bureau hands over, declared (three of them in `managers`);
- `derived`: the columns rules may read beyond a source's own (verified, overdue, …);
- `macros` and `tables`: every SQL macro and table of the warehouse.

Only `rating.errors`, `rating.uscc`, `rating.idnumber` and `rating.sql` lie below it.
"""

from __future__ import annotations

from rating.schema.contracts import (
    FALSE_WORDS,
    NULL_TOKENS,
    TRUE_WORDS,
    Contract,
    CrossCheck,
    logical_type,
    normalise_header,
)
from rating.schema.sources import CONTRACTS, KINDS

__all__ = [
    "CONTRACTS",
    "FALSE_WORDS",
    "KINDS",
    "NULL_TOKENS",
    "TRUE_WORDS",
    "Contract",
    "CrossCheck",
    "logical_type",
    "normalise_header",
]
