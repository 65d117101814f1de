"""Measures in the words of a Chinese bureau notice (区级检查每半年1次，双随机抽查比例10%): the
Chinese names that stored sheets and the public snapshot use. The texts of measures follow
the reader's language in `rating.consequences.measure_words`, which these names come from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rating.consequences import measure_words as mw

_ZH = mw.Words("zh")
number = mw.number
LEVELS = {level: mw.level_name(_ZH, level) for level in ("市", "区", "街道")}
KIND_NAMES = {
    kind: mw.kind_name(_ZH, kind)
    for kind in ("inspection", "fee_ceiling", "reward", "tender", "honours", "new_projects",
                 "market_exit", "notice")
}  # fmt: skip


def share(x: Decimal) -> str:
    """A ratio as a percentage without trailing zeros: 0.05 → "5%", 0.125 → "12.5%"."""
    return number(x * 100) + "%"


def frequency(per_year: Decimal) -> str:
    """Inspections a year as a bureau notice says them: 2 → 每半年1次 (measure_words.frequency)."""
    return mw.frequency(_ZH, per_year)


def day(d: date | None) -> str:
    """A date as Chinese documents write it (2026年1月5日); "" for None."""
    return _ZH.day(d)
