"""What an order and a candidate project have in common, and what contradicts: comparison levels.

Each (order, candidate) pair gets one level per comparison (Fellegi–Sunter's comparison
vector); `rating.matching.model` turns levels into weights. Besides levels, a pair can carry
*vetoes*: information the order gives that the register contradicts or lacks. A vetoed pair
is never matched automatically, whatever its weight — unknown stays unknown:

* `part`     — the order names a phase or section (五期, 东区) the candidate does not have;
* `building` — the order names a building range the candidate lacks, or a building outside
               the candidate's range;
* `suffix`   — the order's suffix class (名邸, 花园 …) differs from the candidate's;
* `oov`      — the order's name has characters never seen in the names of its district;
* `other`    — the order's stem is a different registered stem (金域 for 金色): it names
               another compound, not a misspelling of this one;
* `company`  — the company the caller named serves neither this project nor did before: a
               strong name match with a contradicting company goes to a person, who may know
               the company by another name (the review teaches the spelling);
* `nowhere`  — the order names neither a known district nor a known street, and neither its
               address nor its company agrees: a name alone never blames a company (the same
               name may belong to an unregistered compound in another district).

Levels (weights fitted on labelled pairs, `rating/matching/weights.json`):
"""

from __future__ import annotations

LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("exact", "no_suffix", "suffix_differs", "misheard", "one_char", "similar", "other"),
    "part": ("same", "none", "order_lacks", "differs"),
    "district": ("same", "missing", "differs"),
    "street": ("same", "missing", "other_district", "differs"),
    "address": ("road_no", "road", "missing", "differs"),
    "company": ("same", "similar", "former", "missing", "differs"),
}
__doc__ += "\n".join(f"* `{k}`: {', '.join(v)}" for k, v in LEVELS.items()) + "\n"

NAME = """CASE
    WHEN o.stem = c.stem AND o.suffix IS NOT DISTINCT FROM c.suffix THEN 'exact'
    WHEN o.stem = c.stem AND o.suffix IS NULL THEN 'no_suffix'
    WHEN o.stem = c.stem THEN 'suffix_differs'
    WHEN h.o_stem IS NOT NULL AND (o.suffix IS NULL OR o.suffix = c.suffix) THEN 'misheard'
    WHEN length(o.stem) = length(c.stem) AND hamming(o.stem, c.stem) = 1
         AND (o.suffix IS NULL OR o.suffix = c.suffix) THEN 'one_char'
    WHEN jaro_winkler_similarity(o.stem, c.stem) >= 0.8
         AND (o.suffix IS NULL OR o.suffix = c.suffix) THEN 'similar'
    ELSE 'other' END"""
PART = """CASE
    WHEN o.part IS NULL AND c.part IS NULL THEN 'none'
    WHEN o.part = c.part THEN 'same'
    WHEN o.part IS NULL THEN 'order_lacks'
    ELSE 'differs' END"""
DISTRICT = """CASE
    WHEN o.district_k IS NULL THEN 'missing'
    WHEN o.district_k = c.district_n THEN 'same'
    ELSE 'differs' END"""
STREET = """CASE
    WHEN o.street_n IS NULL OR c.street_n IS NULL THEN 'missing'
    WHEN o.street_n = c.street_n THEN 'same'
    WHEN o.street_district IS NOT NULL AND o.street_district <> c.district_n THEN 'other_district'
    ELSE 'differs' END"""
ADDRESS = """CASE
    WHEN o.road IS NULL OR c.road IS NULL THEN 'missing'
    WHEN o.road = c.road AND o.no = c.no THEN 'road_no'
    WHEN o.road = c.road THEN 'road'
    ELSE 'differs' END"""
COMPANY = """CASE
    WHEN o.company_n IS NULL OR s.company_n IS NULL THEN 'missing'
    WHEN o.company_n = s.company_n THEN 'same'
    WHEN jaro_winkler_similarity(o.company_n, s.company_n) >= 0.88
         OR (length(o.company_n) >= 2 AND contains(s.company_n, o.company_n))
         OR (length(s.company_n) >= 2 AND contains(o.company_n, s.company_n)) THEN 'similar'
    WHEN list_contains(f.former, o.company_n) THEN 'former'
    ELSE 'differs' END"""

VETOES = """list_filter([
    CASE WHEN o.part IS NOT NULL AND o.part IS DISTINCT FROM c.part THEN 'part' END,
    CASE WHEN (o.b_lo < o.b_hi AND c.b_lo IS NULL)
              OR (o.b_lo IS NOT NULL AND c.b_lo IS NOT NULL AND (o.b_lo < c.b_lo OR o.b_hi > c.b_hi))
         THEN 'building' END,
    CASE WHEN o.suffix IS NOT NULL AND o.suffix IS DISTINCT FROM c.suffix THEN 'suffix' END,
    CASE WHEN o.oov IS NOT NULL THEN 'oov' END,
    CASE WHEN o.stem <> c.stem AND o.stem_registered THEN 'other' END,
    CASE WHEN o.company_n IS NOT NULL AND s.company_n IS NOT NULL AND o.company_n <> s.company_n
              AND NOT list_contains(f.former, o.company_n)
              AND jaro_winkler_similarity(o.company_n, s.company_n) < 0.88
              AND NOT contains(s.company_n, o.company_n) AND NOT contains(o.company_n, s.company_n)
         THEN 'company' END,
    CASE WHEN o.search = '' AND NOT coalesce(o.road = c.road AND o.no = c.no, false)
              AND NOT coalesce(o.company_n = s.company_n, false) THEN 'nowhere' END
], lambda x: x IS NOT NULL)"""


def levels_sql() -> str:
    """Select-list of the six levels and the vetoes over aliases o (order), c (candidate),
    s (company serving c on the order's day), f (companies that served c at other times),
    h (`m_misheard`: the stems are one homophone apart)."""
    return (
        ",\n".join(
            f"{expr} AS l_{name}"
            for name, expr in (
                ("name", NAME),
                ("part", PART),
                ("district", DISTRICT),
                ("street", STREET),
                ("address", ADDRESS),
                ("company", COMPANY),
            )
        )
        + f",\n{VETOES} AS vetoes"
    )
