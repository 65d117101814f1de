"""SQL macros every warehouse defines: how cells of real exports are parsed.

`parse_ts`/`parse_date` read the date spellings bureau exports use (and Excel serials),
`parse_int`/`parse_dec` numbers with thousands separators; `fast_trim` trims only when a cell
may start or end with a space separator. Created with the layout (`rating.schema.tables`).
"""

from __future__ import annotations

PARSE_MACROS = [
    r"""CREATE OR REPLACE MACRO parse_ts(t) AS coalesce(
        TRY_CAST(t AS TIMESTAMP),
        try_strptime(t, ['%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d',
                         '%Y年%m月%d日 %H:%M:%S', '%Y年%m月%d日 %H:%M', '%Y年%m月%d日',
                         '%Y.%m.%d', '%Y%m%d']),
        CASE WHEN regexp_full_match(t, '[0-9]{5}(\.[0-9]+)?')
             THEN TIMESTAMP '1899-12-30'
                  + to_microseconds(CAST(round(CAST(t AS DOUBLE) * 86400000000) AS BIGINT)) END)""",
    "CREATE OR REPLACE MACRO parse_date(t) AS CAST(parse_ts(t) AS DATE)",
    """CREATE OR REPLACE MACRO parse_int(t) AS CASE
        WHEN TRY_CAST(replace(t, ',', '') AS DOUBLE) = round(TRY_CAST(replace(t, ',', '') AS DOUBLE))
        THEN TRY_CAST(TRY_CAST(replace(t, ',', '') AS DOUBLE) AS BIGINT) END""",
    "CREATE OR REPLACE MACRO parse_dec(t) AS TRY_CAST(replace(t, ',', '') AS DECIMAL(18,4))",
    # trim() copies every string; call it only when the first or last character may be one
    # of the Unicode space separators (Zs: U+0020, U+00A0 … U+3000) it removes.
    "CREATE OR REPLACE MACRO may_trim(cp) AS cp = 32 OR cp BETWEEN 160 AND 12288",
    """CREATE OR REPLACE MACRO fast_trim(t) AS CASE
        WHEN may_trim(ord(t)) OR may_trim(ord(t[-1])) THEN trim(t) ELSE t END""",
]
