"""Measures and their spans in words, in the reader's language (gettext domain
`consequences`): 区级检查每半年1次，双随机抽查比例10% (zh, the default) or "district
inspection once every half year, 10% 双随机 spot checks" (en).

The engine makes these texts from a measure's values (kind, level, frequency, tier, points …)
when it answers, so they follow the reader's language like the rest of the output; what a
rule set says itself (a measure's title and clause: the evidence) stays in its own words.
Source strings are English; `rating/locale/zh/LC_MESSAGES/consequences.po` gives Chinese.
`scripts/report_messages.py update|check` keeps the catalog.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from rating.i18n import catalog
from rating.ruleset.consequence_logic import Combined
from rating.ruleset.consequences import Measure

DOMAIN = "consequences"


class Words:
    """`w("…", name=value)` → the text in `language` (zh, the default, or en)."""

    def __init__(self, language: str = "zh") -> None:
        self.language = "en" if language.lower().startswith("en") else "zh"
        self._catalog = catalog(DOMAIN, self.language)

    def __call__(self, message: str, **values: Any) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def day(self, d: date | None) -> str:
        """2026年1月5日 (zh) / 2026-01-05 (en); "" for None."""
        if d is None:
            return ""
        return f"{d.year}年{d.month}月{d.day}日" if self.language == "zh" else d.isoformat()


def number(x: Decimal) -> str:
    """2 → '2', 0.5 → '0.5', 0.05 → '0.05' (no trailing zeros)."""
    return format(x.normalize(), "f")


def kind_name(w: Words, kind: str) -> str:
    """A measure kind's name: honours → 评优评先 / honours and awards."""
    names = {
        "inspection": w("inspection frequency"),
        "fee_ceiling": w("fee ceiling"),
        "reward": w("reward for meeting the standard"),
        "tender": w("tender credit"),
        "honours": w("honours and awards"),
        "new_projects": w("new projects"),
        "market_exit": w("market exit"),
        "notice": w("other measures"),
    }
    return names.get(kind, kind)


def level_name(w: Words, level: str | None) -> str:
    """市 → 市级检查 / city inspection."""
    names = {"市": w("city inspection"), "区": w("district inspection"),
             "街道": w("street inspection")}  # fmt: skip
    return names.get(level or "", w("{level} inspection", level=level))


def level_word(w: Words, level: str | None) -> str:
    """An inspection level alone, as a table cell: 市 → 市 / city (an unknown one as it is)."""
    names = {"市": w("city"), "区": w("district"), "街道": w("street")}
    return names.get(level or "", level or "")


def frequency(w: Words, per_year: Decimal) -> str:
    """Inspections a year as whole inspections per period, as a bureau plans them: 2 →
    每半年1次, 4 → 每季度1次, 12 → 每月1次, 0.5 → 每2年1次; a count no such period divides
    stays a year's (3 → 每年3次)."""
    named = {1: w("once a year"), 2: w("once every half year"), 4: w("once a quarter"),
             12: w("once a month")}  # fmt: skip
    if per_year in named:
        return named[int(per_year)]
    if 0 < per_year < 1 and (1 / per_year) == int(1 / per_year):
        return w("once every {n} years", n=int(1 / per_year))
    return w("{n} times a year", n=number(per_year))


def inspection_text(
    w: Words, level: str | None, per_year: Decimal | None, sampling: Decimal | None
) -> str:
    """An inspection measure: its level's frequency and the 双随机 spot-check sampling ratio,
    e.g. 区级检查每季度1次，双随机抽查比例20%; "" when neither is set."""
    name = level_name(w, level)
    ratio = None if sampling is None else number(sampling * 100) + "%"
    if per_year is not None and ratio is not None:
        return w("{name} {frequency}, {ratio} spot checks (双随机)", name=name,
                 frequency=frequency(w, per_year), ratio=ratio)  # fmt: skip
    if per_year is not None:
        return w("{name} {frequency}", name=name, frequency=frequency(w, per_year))
    if ratio is not None:
        return w("{name}: {ratio} spot checks (双随机)", name=name, ratio=ratio)
    return ""


def measure_text(w: Words, m: Measure) -> str:
    """What one measure sets, in a few words (a notice keeps its rule set's title)."""
    if m.kind == "inspection":
        return inspection_text(w, m.level, m.per_year, m.sampling)
    if m.kind == "fee_ceiling":
        return w("fees at most at tier {tier}", tier=m.tier)
    if m.kind == "reward":
        return (
            w("no reward for meeting the standard")
            if m.excluded
            else w("reward for meeting the standard at tier {tier}", tier=m.tier)
        )
    if m.kind == "tender":
        if m.excluded:
            return w("barred from property service tenders")
        points = m.points or Decimal(0)
        if points >= 0:
            return w("tender credit +{points} points", points=number(points))
        return w("tender credit −{points} points", points=number(abs(points)))
    if m.kind == "honours":
        return honours_text(w, m.honours or "eligible")
    if m.kind == "new_projects":
        return w("may not take on new property service projects")
    if m.kind == "market_exit":
        return w("market exit proceedings start")
    return m.title


def honours_text(w: Words, honours: str) -> str:
    """What a grade means for honours and awards (评优评先)."""
    texts = {
        "priority": w("first in line for honours and awards"),
        "eligible": w("may take part in honours and awards"),
        "reduced": w("points taken off in honours and awards"),
        "excluded": w("may not take part in honours and awards"),
    }
    return texts[honours]


def combined_text(w: Words, c: Combined) -> str:
    """What the measures of one key amount to together (the strictest of them)."""
    if c.key.startswith("inspection:"):
        return inspection_text(w, c.first.level, c.per_year, c.sampling)
    return measure_text(w, c.first)


def span_words(w: Words) -> dict[str, str]:
    """The templates of a span's words (rating.consequences.inforce.span)."""
    return {
        "from_publication": w("from publication"),
        "months_after": w("from {months} months after publication"),
        "next_rating": w("{start} until the next results are published"),
        "open": w("{start}, no end"),
        "listing_proposed": w(
            "{start}, while black-listed (at least {min} months, at most {max} months)"
        ),
        "months": w("{start} for {months} months"),
        "between": w("from {starts} until before {ends}"),
        "open_from": w("from {starts}, no end"),
        "until_off": w("until taken off the black list on {ends}"),
        "listing": w(
            "while black-listed: credit repair may be asked for after {min_until}, "
            "taken off by {max_until} at the latest"
        ),
        "next_from": w("from {starts} until the next results are published"),
    }


def measure_line(w: Words, kind: str, text: str, project: str | None, until: str) -> str:
    """One measure on a line of its own: 「招投标信用分：不得参与物业项目招投标（滨江小区），
    2026年1月20日起至下次评价结果公布」 / "tender credit: barred … (滨江小区), from …"."""
    if project:
        return w("{kind}: {text} ({project}), {until}", kind=kind_name(w, kind), text=text,
                 project=project, until=until)  # fmt: skip
    return w("{kind}: {text}, {until}", kind=kind_name(w, kind), text=text, until=until)


def no_tender_points(w: Words, rated: bool) -> str:
    """Why a tender lookup gives no points: no result published by the day, or the result in
    force sets none."""
    if not rated:
        return w("no credit results published by that day: no credit points")
    return w("the credit results in force that day give no tender credit points (0)")


def band_text(w: Words, band: dict[str, Any]) -> str:
    """「高风险档（回测中该档41家次有17家次发生，41%）」 / "high-risk band (in the backtest 17 of
    41 company-periods in the band met the event, 41%)": a warning band with its measured rate
    (`band`: rating.analysis.warning.BandRate.as_dict)."""
    names = {"低": w("low-risk band"), "中": w("medium-risk band"), "高": w("high-risk band")}
    rate = f"{float(band.get('observed') or 0):.0%}"
    return w(
        "{band} (in the backtest {events} of {n} company-periods in the band met the event, "
        "{rate})",
        band=names.get(str(band["band"]), str(band["band"])),
        events=band["events"],
        n=band["n"],
        rate=rate,
    )


def warning_unused(w: Words, band: dict[str, Any] | None, companies: int) -> str:
    """Why a plan raises nothing for the early warning: its band 高 has no backtest rows, or
    met the event less often than the band's lower bound (rating.consequences.plan._risky)."""
    if band is None or not band["n"]:
        rate = w("the early warning's high-risk band has no records in the backtest to check "
                 "its prediction against")  # fmt: skip
    else:
        low = f"{float(band['low']):.0%}"
        rate = w(
            "early warning {band}, below the band's lower bound {low}: the backtest does not "
            "support the band's prediction",
            band=band_text(w, band),
            low=low,
        )
    return w("{rate}: this plan raises no inspections for the early warning ({companies} "
             "companies in the band)", rate=rate, companies=companies)  # fmt: skip
