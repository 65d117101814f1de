"""SQL macros every warehouse defines: how cells of real exports are parsed.

Dates and times (`parse_ts`, `parse_date`, and `when_problem` / `when_readings` for the
reason a cell did not parse) read what people and exporters write: ISO (`2026-07-03
15:20:15`, with `T`, `Z` or an offset such as `+08:00`, converted to the bureau's zone),
`2026/7/3`, `2026.7.3`, `2026年7月3日 15时20分`, `20260703`, full-width digits, 12-hour
clocks (`03:20:15 PM`, `下午 3:20:15`, `中午`, `晚上`, `凌晨`), two-digit years, and Excel
serial numbers (in the 1900 or 1904 system, `epoch` = 1899-12-30 or 1904-01-01).

Which readings a date can have (the day/month order is the only thing a parser must guess):

* a four-digit year first (`2026/7/3`): year-month-day, the only order used in China;
* a four-digit year last (`7/3/2026`): month/day/year (Excel in US English) or
  day/month/year (Excel in British English) — both are tried;
* a two-digit year (`26/7/3`, `7/3/26`, `26.7.3`): year/month/day (Excel zh-CN `yy/m/d`) or
  month/day/year (Excel en-US `m/d/yy`); day/month/year with a two-digit year is not an
  export format of mainland systems and would make every `yy/m/d` date ambiguous. Two-digit
  years follow Excel: 00–29 are 2000–2029, 30–99 are 1930–1999.

A reading is possible when it is a real calendar date and instant not before the column's
earliest date (1990-01-01 unless the contract says otherwise). Exactly one possible reading
→ that instant; two different ones → `AMBIGUOUS_DATE`, naming both; only readings before the
earliest date → `DATE_TOO_EARLY`. Everything is one SQL expression over the whole column:
a cheap test sends canonical cells (`2026-07-03 15:20:15`, `2026-07-03`) to one cast, the
rest to the general reader.

`parse_int`/`parse_dec` read numbers with thousands separators, `parse_pct` also a
trailing percent sign (`92.5%`, `92.5％`); `fast_trim` trims only when a
cell may start or end with a space, tab or invisible character.
"""

from __future__ import annotations

# One pattern for every date-time spelling, over the text made ASCII by `dt_text`:
# a, b, c: the three date fields; hh, mi, ss, fr: the time; tz: Z, UTC, GMT or an offset.
_DT_PATTERN = (
    r"^(\d{1,4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,4})\s*日?"
    r"(?:[ T]*(\d{1,2})\s*[:时点]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:[.,](\d{1,9}))?\s*秒?)?"
    r"\s*分?\s*(Z|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?|UTC|GMT)?)?$"
)
_MERIDIEM = r"(上午|下午|中午|晚上|凌晨|早上|A\.?M\.?|P\.?M\.?)"

_FAST_FORMATS = (
    "['%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d', '%Y-%m-%d %H:%M', '%Y-%m-%d',"
    " '%Y年%m月%d日 %H:%M:%S', '%Y年%m月%d日 %H:%M', '%Y年%m月%d日', '%Y.%m.%d %H:%M:%S',"
    " '%Y.%m.%d %H:%M', '%Y.%m.%d']"
)

DATE_MACROS = [
    # Full-width digits and separators made ASCII, 12-hour markers taken out, 20260703 split.
    rf"""CREATE OR REPLACE MACRO dt_text(t) AS regexp_replace(regexp_replace(regexp_replace(
        trim(regexp_replace(upper(translate(t, '０１２３４５６７８９／－．：　Ｔ＋',
                                               '0123456789/-.: T+')),
                            '{_MERIDIEM}', ' ', 'g')),
        '\s+', ' ', 'g'),
        '^(\d{{4}})(\d{{2}})(\d{{2}})(\d{{2}})(\d{{2}})(\d{{2}})$', '\1-\2-\3 \4:\5:\6'),
        '^(\d{{4}})(\d{{2}})(\d{{2}})$', '\1-\2-\3')""",
    rf"""CREATE OR REPLACE MACRO dt_meridiem(t) AS CASE regexp_extract(upper(t), '{_MERIDIEM}', 1)
        WHEN '' THEN NULL WHEN '上午' THEN 'am' WHEN '凌晨' THEN 'am' WHEN '早上' THEN 'am'
        WHEN '中午' THEN 'noon' WHEN '下午' THEN 'pm' WHEN '晚上' THEN 'pm'
        ELSE CASE WHEN starts_with(regexp_extract(upper(t), '{_MERIDIEM}', 1), 'A')
                  THEN 'am' ELSE 'pm' END END""",
    rf"""CREATE OR REPLACE MACRO dt_parts(t) AS regexp_extract(dt_text(t), '{_DT_PATTERN}',
        ['a', 'b', 'c', 'hh', 'mi', 'ss', 'fr', 'tz'])""",
    # The hour on a 24-hour clock, or NULL when the 12-hour marker contradicts it.
    """CREATE OR REPLACE MACRO dt_hour(hh, mer) AS CASE
        WHEN hh = '' THEN CASE WHEN mer IS NULL THEN 0 END
        WHEN mer IS NULL THEN CAST(hh AS INTEGER)
        WHEN mer = 'am' THEN CASE WHEN CAST(hh AS INTEGER) = 12 THEN 0
                                  WHEN CAST(hh AS INTEGER) <= 11 THEN CAST(hh AS INTEGER) END
        WHEN mer = 'noon' THEN CASE WHEN CAST(hh AS INTEGER) BETWEEN 11 AND 12 THEN CAST(hh AS INTEGER)
                                    WHEN CAST(hh AS INTEGER) <= 2 THEN CAST(hh AS INTEGER) + 12 END
        ELSE CASE WHEN CAST(hh AS INTEGER) = 12 THEN 12
                  WHEN CAST(hh AS INTEGER) <= 11 THEN CAST(hh AS INTEGER) + 12
                  WHEN CAST(hh AS INTEGER) <= 23 THEN CAST(hh AS INTEGER) END END""",
    # The offset as +HH:MM (NULL when the cell has none).
    r"""CREATE OR REPLACE MACRO dt_offset(tz) AS CASE
        WHEN tz = '' THEN NULL WHEN tz IN ('Z', 'UTC', 'GMT') THEN '+00:00'
        ELSE regexp_extract(tz, '([+-])', 1)
             || lpad(regexp_extract(tz, '[+-](\d{1,2})', 1), 2, '0') || ':'
             || coalesce(nullif(regexp_extract(tz, '[+-]\d{1,2}:?(\d{2})$', 1), ''), '00') END""",
    # One reading (year, month, day) with the cell's time, as a local TIMESTAMP in `zone`.
    # (Lambdas over one-element lists bind a value once: macros are inlined, and repeating
    # a sub-expression in the body would repeat it in the query for every use.)
    """CREATE OR REPLACE MACRO dt_at(y, m, d, p, mer, zone) AS list_transform(
        [printf('%04d-%02d-%02d %02d:%s:%s', y, m, d, dt_hour(p.hh, mer),
                lpad(coalesce(nullif(p.mi, ''), '0'), 2, '0'),
                lpad(coalesce(nullif(p.ss, ''), '0'), 2, '0'))
         || CASE WHEN p.fr = '' THEN '' ELSE '.' || left(p.fr, 6) END],
        lambda s: CASE WHEN TRY_CAST(printf('%04d-%02d-%02d', y, m, d) AS DATE) IS NULL THEN NULL
                  WHEN p.tz = '' THEN TRY_CAST(s AS TIMESTAMP)
                  ELSE timezone(zone, TRY_CAST(s || dt_offset(p.tz) AS TIMESTAMPTZ)) END)[1]""",
    # Excel's two-digit years: 00-29 are 2000-2029, 30-99 are 1930-1999.
    "CREATE OR REPLACE MACRO dt_yy(v) AS CAST(v AS INTEGER) + CASE WHEN CAST(v AS INTEGER) < 30 THEN 2000 ELSE 1900 END",
    # The (year, month, day) readings of the three date fields, in the order of `dt_orders`.
    """CREATE OR REPLACE MACRO dt_ymds(p) AS CASE
        WHEN p.a = '' THEN []
        WHEN length(p.a) = 4 AND length(p.c) <= 2
            THEN [[CAST(p.a AS INTEGER), CAST(p.b AS INTEGER), CAST(p.c AS INTEGER)]]
        WHEN length(p.c) = 4 AND length(p.a) <= 2
            THEN [[CAST(p.c AS INTEGER), CAST(p.a AS INTEGER), CAST(p.b AS INTEGER)],
                  [CAST(p.c AS INTEGER), CAST(p.b AS INTEGER), CAST(p.a AS INTEGER)]]
        WHEN length(p.a) <= 2 AND length(p.c) <= 2
            THEN [[dt_yy(p.a), CAST(p.b AS INTEGER), CAST(p.c AS INTEGER)],
                  [dt_yy(p.c), CAST(p.a AS INTEGER), CAST(p.b AS INTEGER)]]
        ELSE [] END""",
    """CREATE OR REPLACE MACRO dt_orders(p) AS CASE
        WHEN length(p.c) = 4 THEN ['月/日/年', '日/月/年'] ELSE ['年/月/日', '月/日/年'] END""",
    # The instants the cell can mean, one per reading (NULL where the reading is no date).
    """CREATE OR REPLACE MACRO dt_cands(t, zone) AS list_transform(
        [struct_pack(p := dt_parts(t), mer := dt_meridiem(t))],
        lambda x: list_transform(dt_ymds(x.p), lambda ymd: dt_at(ymd[1], ymd[2], ymd[3], x.p, x.mer, zone)))[1]""",
    r"""CREATE OR REPLACE MACRO dt_serial(t, epoch) AS CASE
        WHEN regexp_full_match(t, '[0-9]{5}(\.[0-9]+)?')
        THEN CAST(epoch AS TIMESTAMP)
             + to_microseconds(CAST(round(CAST(t AS DOUBLE) * 86400000000) AS BIGINT)) END""",
    # Exactly one reading not before `earliest`, else NULL (the reason is `when_problem`).
    """CREATE OR REPLACE MACRO dt_pick(c, earliest) AS CASE
        WHEN c[1] >= earliest AND (c[2] IS NULL OR c[2] < earliest OR c[2] = c[1]) THEN c[1]
        WHEN c[2] >= earliest AND (c[1] IS NULL OR c[1] < earliest) THEN c[2] END""",
    """CREATE OR REPLACE MACRO dt_slow(t, epoch, zone, earliest) AS coalesce(
        dt_serial(t, epoch), list_transform([dt_cands(t, zone)], lambda c: dt_pick(c, earliest))[1])""",
    # The cells a cast or `try_strptime` reads (nearly all of an export); NULL for the rest.
    f"""CREATE OR REPLACE MACRO parse_ts_fast(t) AS coalesce(
        CASE WHEN (length(t) = 19 AND substr(t, 17, 1) = ':')
                  OR (length(t) = 10 AND substr(t, 5, 1) = '-' AND substr(t, 8, 1) = '-')
             THEN TRY_CAST(t AS TIMESTAMP) END,
        CASE WHEN regexp_full_match(substr(t, 1, 5), '[12][0-9]{{3}}[-/.年]')
             THEN try_strptime(t, {_FAST_FORMATS}) END)""",
    """CREATE OR REPLACE MACRO parse_ts(t, epoch, zone, earliest) AS coalesce(
        parse_ts_fast(t), dt_slow(t, epoch, zone, earliest))""",
    """CREATE OR REPLACE MACRO parse_date(t, epoch, zone, earliest) AS
        CAST(parse_ts(t, epoch, zone, earliest) AS DATE)""",
    # Why a non-empty cell gave no instant: AMBIGUOUS_DATE, DATE_TOO_EARLY or BAD_DATE.
    """CREATE OR REPLACE MACRO when_problem(t, epoch, zone, earliest) AS list_transform(
        [dt_cands(t, zone)],
        lambda c: CASE WHEN c[1] >= earliest AND c[2] >= earliest AND c[1] <> c[2] THEN 'AMBIGUOUS_DATE'
                  WHEN coalesce(dt_serial(t, epoch), c[1], c[2]) IS NOT NULL THEN 'DATE_TOO_EARLY'
                  ELSE 'BAD_DATE' END)[1]""",
    # The readings of an ambiguous cell: `2026-07-03 09:20:00 (月/日/年) 或 2007-03-26 … (年/月/日)`.
    """CREATE OR REPLACE MACRO when_readings(t, zone) AS list_transform(
        [struct_pack(c := dt_cands(t, zone), o := dt_orders(dt_parts(t)))],
        lambda x: strftime(x.c[1], '%Y-%m-%d %H:%M:%S') || ' (' || x.o[1] || ') 或 '
             || strftime(x.c[2], '%Y-%m-%d %H:%M:%S') || ' (' || x.o[2] || ')')[1]""",
]

# What `fast_trim` removes at either end: spaces, tabs, line breaks, every Unicode space
# separator, zero-width spaces and joiners, the word joiner and a byte-order mark.
TRIMMED_CODEPOINTS = (32, 9, 10, 13, 160, 5760, *range(8192, 8203), 8239, 8287, 12288) + (
    8203,
    8204,
    8205,
    8288,
    65279,
)
_TRIMMED = " || ".join(f"chr({cp})" for cp in TRIMMED_CODEPOINTS)
# The same characters as an RE2 class.
TRIMMED_CLASS = "[" + "".join(f"\\x{{{cp:x}}}" for cp in TRIMMED_CODEPOINTS) + "]"

PARSE_MACROS = [
    *DATE_MACROS,
    """CREATE OR REPLACE MACRO parse_int(t) AS CASE
        WHEN TRY_CAST(replace(t, ',', '') AS DOUBLE) = round(TRY_CAST(replace(t, ',', '') AS DOUBLE))
        THEN TRY_CAST(TRY_CAST(replace(t, ',', '') AS DOUBLE) AS BIGINT) END""",
    "CREATE OR REPLACE MACRO parse_dec(t) AS TRY_CAST(replace(t, ',', '') AS DECIMAL(18,4))",
    # A percentage as exports write it: 92.5, 92.5% or 92.5％ (full-width digits too) → 92.5.
    r"""CREATE OR REPLACE MACRO parse_pct(t) AS parse_dec(regexp_replace(
        translate(t, '０１２３４５６７８９．，', '0123456789.,'), '\s*[%％]$', ''))""",
    # trim() copies every string; call it only when the first or last character may be a
    # space, a tab or line break, one of the Unicode space separators (Zs: U+00A0 … U+3000),
    # an invisible format character (U+200B … U+2060) or a byte-order mark inside the cell.
    "CREATE OR REPLACE MACRO may_trim(cp) AS cp <= 32 OR cp BETWEEN 160 AND 12288 OR cp = 65279",
    # The same test as `may_trim(ord(s))` by comparing bytes: UTF-8 sorts as code points do,
    # so `s < chr(33)` says the first code point is ≤ 32 without decoding it.
    """CREATE OR REPLACE MACRO may_trim_at(s) AS
        s < chr(33) OR (s >= chr(160) AND s < chr(12289)) OR starts_with(s, chr(65279))""",
    # `may_trim(ord(s[-1]))` for a non-empty `s` (for '' this is false, `may_trim_at` true):
    # the last code point by RE2, which runs an end-anchored pattern from the end. `s` is named once:
    # a macro naming `s[-1]` three or four times has DuckDB find the last character anew
    # for each (0.02-0.03 s of CPU a column per 340k cells of Chinese text).
    r"""CREATE OR REPLACE MACRO may_trim_end(s) AS
        regexp_matches(s, '[\x00-\x20\x{a0}-\x{3000}\x{feff}]$')""",
    f"""CREATE OR REPLACE MACRO fast_trim(t) AS CASE
        WHEN may_trim_at(t) OR may_trim_end(t)
        THEN trim(t, {_TRIMMED}) ELSE t END""",
    # `fast_trim(t)` given `last` = t[-1] computed once in a stage before (in the macro,
    # DuckDB finds the last character anew for every test of it: most of the trim's price
    # on a clean column).
    f"""CREATE OR REPLACE MACRO trim_ends(t, last) AS CASE
        WHEN may_trim_at(t) OR may_trim_at(last) THEN trim(t, {_TRIMMED}) ELSE t END""",
]
