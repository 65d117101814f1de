"""Identifiers as exporters and Excel leave them: what is safe to clean, and what is not.

Exporters put a TAB or an apostrophe before long ids to keep Excel from turning them into
numbers; copy-paste brings zero-width spaces, byte-order marks and no-break spaces; Chinese
input methods give full-width letters and digits (`ＸＭ００００３８`); pandas writes
`2026070300001501.0`; Excel writes `2.02607E+17`. In an identifier column (keys,
references, USCCs: `Contract.identifier`):

* safe, cleaned and counted in `normalised` by kind: a leading apostrophe or backtick;
  tabs, line breaks, spaces, no-break and ideographic spaces at either end; zero-width
  characters and byte-order marks anywhere; full-width letters, digits and signs; a `.0`
  after an integer below 2^53 (a double holds those exactly); a USCC in lower case;
* not safe, the row quarantined: scientific notation or a `.0` after a larger integer
  (`ID_NOT_EXACT`: the digits are gone, and another id must never be loaded instead), and
  any space, control or other invisible character left inside (`BAD_CHARACTER`, naming it).

All of it is SQL over the whole column; a cell of plain ASCII without those marks (every
cell of a clean export) is passed through by one cheap test.
"""

from __future__ import annotations

import unicodedata

from rating.sql import text_literal

_FULLWIDTH = "".join(chr(cp) for cp in range(0xFF01, 0xFF5F)) + "\u3000"
_ASCII = "".join(chr(cp) for cp in range(0x21, 0x7F)) + " "
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_EDGE = " \t\r\n\u00a0\u3000"

# Characters an id may not keep: separators and "other" (control, format, private use, …).
_UNSAFE_RE = r"[\p{Z}\p{C}]"


_q = text_literal


def plain_sql(raw: str) -> str:
    """SQL true when a cell needs no cleaning: ASCII only, no apostrophe or space first,
    no space or tab inside, no `.0` end and no exponent."""
    return (
        f"(strlen({raw}) = length({raw}) AND ord({raw}) NOT IN (9, 32, 39, 96)"
        f" AND NOT contains({raw}, ' ') AND NOT contains({raw}, chr(9))"
        f" AND NOT ends_with({raw}, '.0') AND NOT contains({raw}, 'E+')"
        f" AND NOT contains({raw}, 'e+'))"
    )


def exact_decimal_sql(text: str) -> str:
    """SQL true for digits and a `.0` a double holds exactly (below 2^53: up to 16 digits)."""
    return (
        f"(regexp_full_match({text}, '[0-9]{{1,16}}\\.0+') "
        f"AND TRY_CAST(split_part({text}, '.', 1) AS HUGEINT) < {2**53})"
    )


def cleaned_id_sql(clean: str, kind: str) -> str:
    """The id of a cleaned (trimmed, not empty) cell after the safe repairs."""
    repaired = (
        f"trim(regexp_replace(translate(regexp_replace({clean}, {_q('[' + _INVISIBLE + ']')}, '', 'g'),"
        f" {_q(_FULLWIDTH)}, {_q(_ASCII)}), '^[''`]', ''), {_q(_EDGE)})"
    )
    repaired = (
        f"(CASE WHEN {exact_decimal_sql(repaired)}"
        f" THEN regexp_replace({repaired}, '\\.0+$', '') ELSE {repaired} END)"
    )
    if kind == "uscc":
        repaired = f"upper({repaired})"
    return f"CASE WHEN {plain_sql(clean)} THEN {clean} ELSE {repaired} END"


def id_problems_sql(value: str) -> list[tuple[str, str]]:
    """(condition, code) over the repaired id, in the order they apply."""
    return [
        (
            f"(regexp_full_match({value}, '[0-9]+(\\.[0-9]*)?[Ee][+-]?[0-9]+')"
            f" OR (regexp_full_match({value}, '[0-9]+\\.0+') AND NOT {exact_decimal_sql(value)}))",
            "ID_NOT_EXACT",
        ),
        (f"regexp_matches({value}, {_q(_UNSAFE_RE)})", "BAD_CHARACTER"),
    ]


# What `normalised` counts, each a condition over the raw cell.
CHANGES = {
    "tab": "(ord({r}) = 9 OR ord({r}[-1]) = 9)",
    "apostrophe": "regexp_matches({r}, '^[\\s\\x{{FEFF}}\\x{{200B}}]*[''`]')",
    "zero_width": "regexp_matches({r}, '[\\x{{200B}}-\\x{{200D}}\\x{{2060}}\\x{{00AD}}]')",
    "bom": "contains({r}, chr(65279))",
    "no_break_space": "contains({r}, chr(160))",
    "ideographic_space": "contains({r}, chr(12288))",
    "fullwidth": "regexp_matches({r}, '[\\x{{FF01}}-\\x{{FF5E}}]')",
    "decimal_suffix": "regexp_full_match(trim({r}), '[0-9]{{1,16}}\\.0+') AND TRY_CAST(split_part(trim({r}), '.', 1) AS HUGEINT) < 9007199254740992",
}


def changes_sql(raw: str, kind: str) -> str:
    """SQL list of the kinds of repair a raw cell needed (NULL for a plain cell)."""
    items = [
        f"CASE WHEN {cond.format(r=raw)} THEN {_q(name)} END" for name, cond in CHANGES.items()
    ]
    if kind == "uscc":
        items.append(f"CASE WHEN regexp_matches({raw}, '[a-z]') THEN 'lower_case' END")
    return (
        f"CASE WHEN {raw} IS NULL OR {plain_sql(raw)} THEN NULL "
        f"ELSE list_filter([{', '.join(items)}], lambda x: x IS NOT NULL) END"
    )


# Names of the characters people meet in ids, for the reason (the rest by code point).
_NAMED = (9, 10, 13, 32, 160, 173, 5760, *range(8192, 8208), 8232, 8233, 8239, 8287, 8288, 12288, 65279, 65533)  # fmt: skip


def character_note_sql(value: str) -> str:
    """SQL naming the first character of `value` an id may not hold, e.g.
    `U+00A0 NO-BREAK SPACE at position 5`."""
    ch = f"regexp_extract({value}, {_q('(' + _UNSAFE_RE + ')')}, 1)"
    names = " ".join(f"WHEN {cp} THEN {_q(unicodedata.name(chr(cp), 'CONTROL'))}" for cp in _NAMED)
    return (
        f"printf('U+%04X ', unicode({ch})) || CASE unicode({ch}) {names} "
        f"ELSE 'INVISIBLE CHARACTER' END || ' at position ' || strpos({value}, {ch})"
    )


__all__ = ["CHANGES", "changes_sql", "character_note_sql", "cleaned_id_sql", "id_problems_sql"]
